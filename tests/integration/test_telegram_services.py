"""The checkout services the Telegram gateway uses: proofs of payment, button payload keys, claimed events,
seller alerts for new orders and handoffs, stale alerts expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from checkout.button_payloads import payload_for, payload_key, store_payloads
from checkout.carts import add_to_cart
from checkout.customers.identity import ShopperIdentity, current_conversation, identify
from checkout.customers.privacy import erase_customer_records
from checkout.db.models import OutboxMessage, PaymentProof, Variant, utcnow
from checkout.handoff import release_handoff, request_handoff
from checkout.notifications import SELLER_CHANNEL, expire_pending, queue_for_seller
from checkout.orders.placement import DeliveryDetails, place_order
from checkout.orders.proofs import ProofFile, attach_payment_proof, order_awaiting_payment
from checkout.processed_events import claim_event, forget_events_before
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog


def seller_rows(session) -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.channel == SELLER_CHANNEL).order_by(OutboxMessage.id))
    )


def proof(unique_id: str, content: bytes = b"\xff\xd8 receipt") -> ProofFile:
    return ProofFile(
        channel="telegram", file_id=f"f-{unique_id}", file_unique_id=unique_id, mime_type="image/jpeg", content=content
    )


def test_a_proof_goes_on_the_newest_unpaid_order_once_and_alerts_the_seller(clean_db):
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        customer = add_customer(session, "4242", "Marie", channel="telegram")
        add_order(session, customer, "OLD222", [("CAP-DAD-BLK", 1)], at("2026-11-20 10:00"))
        newest = add_order(session, customer, "NEW333", [("CAP-DAD-BLK", 1)], at("2026-11-22 10:00"))
        add_order(session, customer, "PAID44", [("CAP-DAD-BLK", 1)], at("2026-11-22 11:00"), status="paid")
        other = add_customer(session, "4242", "Same id, other channel", channel="rest")
        add_order(session, other, "REST55", [("CAP-DAD-BLK", 1)], at("2026-11-22 12:00"))
    with clean_db.transaction() as session:
        order = order_awaiting_payment(session, "telegram", "4242")
        assert order.number == "NEW333"
        assert attach_payment_proof(session, order, proof("u1")) is not None
        assert attach_payment_proof(session, order, proof("u1")) is None  # the same file again
        with pytest.raises(ValueError):
            attach_payment_proof(session, order, proof("u2", content=b""))
    with clean_db.reading() as session:
        [stored] = session.scalars(select(PaymentProof)).all()
        assert (stored.order_id, stored.size_bytes, stored.content) == (newest.id, 10, b"\xff\xd8 receipt")
        assert [r.kind for r in seller_rows(session)] == ["payment_proof"]
        assert order_awaiting_payment(session, "telegram", "nobody") is None


def test_forgetting_a_customer_deletes_their_proofs(clean_db):
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        customer = add_customer(session, "777", "Marie", channel="telegram")
        order = add_order(session, customer, "FGT777", [("CAP-DAD-BLK", 1)], at("2026-11-22 10:00"))
        attach_payment_proof(session, order, proof("u1"))
    with clean_db.transaction() as session:
        erase_customer_records(session, session.merge(customer), "seller:test")
    with clean_db.reading() as session:
        assert session.scalars(select(PaymentProof)).all() == []
        # the seller's alert about the proof named the customer: its text goes too
        assert [r.text for r in seller_rows(session)] == [""]


def test_button_payload_keys_are_short_stable_and_unforgeable(clean_db):
    long_payload = (
        '/add_to_cart{"product": "Heavyweight Hoodie", "color": "black", "size": "M", "x": "' + "é" * 40 + '"}'
    )
    with clean_db.transaction() as session:
        keys = store_payloads(session, [long_payload, "/affirm", "/affirm"])
        assert store_payloads(session, [long_payload]) == {long_payload: keys[long_payload]}
    assert all(len(k.encode()) <= 64 for k in keys.values()) and keys["/affirm"] == payload_key("/affirm")
    with clean_db.reading() as session:
        assert payload_for(session, keys[long_payload]) == long_payload
        assert payload_for(session, "/checkout") is None and payload_for(session, "x" * 100) is None


def test_an_event_is_claimed_once_and_old_claims_are_forgotten(clean_db):
    with clean_db.transaction() as session:
        assert claim_event(session, "telegram", "1:100") is True
        assert claim_event(session, "telegram", "1:100") is False
        assert claim_event(session, "stripe", "1:100") is True
    with clean_db.transaction() as session:
        assert claim_event(session, "telegram", "1:100") is False
        assert forget_events_before(session, "telegram", utcnow() + timedelta(seconds=1)) == 1
        assert claim_event(session, "telegram", "1:100") is True


def test_placing_an_order_alerts_the_seller(clean_db):
    load_demo_catalog(clean_db)
    identity = ShopperIdentity.from_rasa("9001", "rest", {"channel": "telegram", "user_id": 9001})
    with clean_db.transaction() as session:
        customer = identify(session, identity)
        variant = session.scalar(select(Variant).where(Variant.sku == "CAP-DAD-BLK"))
        add_to_cart(session, customer, variant, 2)
        order = place_order(
            session,
            customer,
            current_conversation(session, customer, identity),
            DeliveryDetails("Marie Dupont", "+33612345678", "Lyon"),
            "EUR",
        )
    with clean_db.reading() as session:
        [alert] = seller_rows(session)
    assert alert.kind == "new_order" and alert.recipient == "seller" and alert.status == "pending"
    assert alert.text == f"New order {order.number}: €44.00, Marie Dupont (telegram)\n2 × Dad Cap (black)"


def test_a_handoff_alerts_the_seller_once_until_released(clean_db):
    identity = ShopperIdentity.from_rasa("9002", "rest", {"channel": "telegram", "user_id": 9002, "first_name": "Lan"})
    for _ in range(2):
        with clean_db.transaction() as session:
            customer = identify(session, identity)
            request_handoff(session, current_conversation(session, customer, identity))
    with clean_db.transaction() as session:
        assert release_handoff(session, "9002", "seller:test") == 1
    with clean_db.transaction() as session:
        customer = identify(session, identity)
        request_handoff(session, current_conversation(session, customer, identity))
    with clean_db.reading() as session:
        alerts = seller_rows(session)
    assert [a.kind for a in alerts] == ["handoff", "handoff"]
    assert alerts[0].text.startswith("Lan (telegram) asks for a person") and "9002" in alerts[0].text


def test_stale_pending_alerts_are_expired_not_sent(clean_db):
    with clean_db.transaction() as session:
        old = queue_for_seller(session, "test", "old news")
        old.created_at = utcnow() - timedelta(days=2)
        queue_for_seller(session, "test", "fresh news")
    with clean_db.transaction() as session:
        assert expire_pending(session, SELLER_CHANNEL, utcnow() - timedelta(hours=24), "too old") == 1
    with clean_db.reading() as session:
        assert [(r.text, r.status) for r in seller_rows(session)] == [("old news", "failed"), ("fresh news", "pending")]
