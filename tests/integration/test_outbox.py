"""The outbox: a status change queues one message for the shopper; gateways claim each message once."""

from __future__ import annotations

from sqlalchemy import func, select

from checkout.db.models import Order, OutboxMessage
from checkout.notifications import (
    MAX_ATTEMPTS,
    SELLER_CHANNEL,
    claim_pending,
    mark_failed,
    mark_sent,
    queue_for_seller,
    queue_order_update,
)
from checkout.orders.lifecycle import change_status
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog


def make_order(db, number="A7K2Q9", channel="telegram"):
    with db.transaction() as session:
        customer = add_customer(session, "4242", "Ana", channel=channel)
        return add_order(session, customer, number, [("TEE-LOGO-BLK-M", 1)], at("2026-11-20 10:00")).id


def test_a_status_change_tells_the_shopper_once(clean_db):
    load_demo_catalog(clean_db)
    order_id = make_order(clean_db)
    with clean_db.transaction() as session:
        order = session.get(Order, order_id)
        change_status(session, order, "paid", actor="test")
        assert queue_order_update(session, order, "paid") is None  # the same news is not queued twice
        change_status(session, order, "fulfilled", actor="test")
    with clean_db.reading() as session:
        messages = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [(m.kind, m.channel, m.recipient, m.status) for m in messages] == [
            ("order_paid", "telegram", "4242", "pending"),
            ("order_fulfilled", "telegram", "4242", "pending"),
        ]
        assert "A7K2Q9" in messages[0].text


def test_a_change_the_shopper_made_in_the_chat_is_not_announced_again(clean_db):
    load_demo_catalog(clean_db)
    order_id = make_order(clean_db)
    with clean_db.transaction() as session:
        change_status(session, session.get(Order, order_id), "cancelled", actor="shopper:1", notify_shopper=False)
    with clean_db.reading() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_each_message_is_claimed_once_and_retried_until_it_fails_for_good(clean_db):
    with clean_db.transaction() as session:
        queue_for_seller(session, "new_order", "New order A7K2Q9", dedupe_key="order:1:new")
        queue_for_seller(session, "new_order", "New order A7K2Q9", dedupe_key="order:1:new")
    with clean_db.transaction() as session:
        [claimed] = claim_pending(session, (SELLER_CHANNEL,))
        assert claim_pending(session, (SELLER_CHANNEL,)) == []
        assert claim_pending(session, ("telegram",)) == []
        message_id = claimed.id
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with clean_db.transaction() as session:
            mark_failed(session, message_id, "HTTP 502")
            status = session.get(OutboxMessage, message_id).status
        assert status == ("failed" if attempt == MAX_ATTEMPTS else "pending")
        if status == "pending":
            with clean_db.transaction() as session:
                assert [m.id for m in claim_pending(session, (SELLER_CHANNEL,))] == [message_id]
    with clean_db.transaction() as session:
        mark_sent(session, message_id, "991")
        sent = session.get(OutboxMessage, message_id)
        assert (sent.status, sent.channel_message_id, sent.sent_at is not None) == ("sent", "991", True)
