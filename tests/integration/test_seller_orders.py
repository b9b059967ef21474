"""Seller dashboard, orders: list filters, search, pagination, detail, actions (audit-logged, shopper told
through the outbox), CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select, update

from checkout.db.models import AuditLog, Order, OrderItem, OutboxMessage, Payment, PaymentProof, Variant
from checkout.notifications import SELLER_CHANNEL
from checkout.statuses import OutboxStatus
from tests.integration.dashboard import EMAIL, post_form
from tests.integration.orm_builders import add_customer, add_order, at


def numbers_in(html: str, candidates) -> list[str]:
    """The order numbers of `candidates` in the order they appear on the page."""
    found = [(html.find(f">{n}</a>"), n) for n in candidates]
    return [n for pos, n in sorted(found) if pos >= 0]


def state(db, number: str):
    with db.reading() as session:
        order = session.scalar(select(Order).where(Order.number == number))
        audit = list(session.scalars(select(AuditLog).where(AuditLog.entity_id == number).order_by(AuditLog.id)))
        outbox = list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id).order_by(OutboxMessage.id))
        )
        payments = list(session.scalars(select(Payment).where(Payment.order_id == order.id)))
    return order, audit, outbox, payments


def test_list_is_newest_first_with_filters_and_search(app, seller, shop):
    db = app.extensions["database"]
    with db.transaction() as session:
        tg = add_customer(session, "777", "Lan Nguyen", channel="telegram")
        add_order(
            session,
            tg,
            "C9P4T5",
            [("CAP-DAD-BEI", 1)],
            at("2026-01-10 09:00"),
            status="paid",
            customer_phone="+84912345678",
        )
    html = seller.get("/seller/orders").get_data(as_text=True)
    assert numbers_in(html, ["A7K2Q9", "B8M3R4", "C9P4T5"]) == ["A7K2Q9", "B8M3R4", "C9P4T5"]
    assert "€59.00" in html and "Marie Dupont" in html
    cases = {
        "status=paid": ["C9P4T5"],
        "channel=telegram": ["C9P4T5"],
        "channel=web": ["A7K2Q9", "B8M3R4"],
        "q=a7k2": ["A7K2Q9"],
        "q=marie": ["A7K2Q9"],
        "q=0912 345": ["C9P4T5"],
        "q=%2B33 6 12": ["A7K2Q9"],
        "from=2026-01-10&to=2026-01-10": ["C9P4T5"],
        "to=2026-01-09": [],
        "q=%25": [],
    }
    for query, expected in cases.items():
        page = seller.get(f"/seller/orders?{query}").get_data(as_text=True)
        assert numbers_in(page, ["A7K2Q9", "B8M3R4", "C9P4T5"]) == expected, query


def test_bad_filters_are_named_and_ignored(seller, shop):
    html = seller.get("/seller/orders?status=shipped&from=yesterday").get_data(as_text=True)
    assert "There is no order status &#39;shipped&#39;" in html
    assert "From &#39;yesterday&#39; is not a date" in html
    assert "A7K2Q9" in html and "B8M3R4" in html


def test_list_is_paginated(app, seller, shop):
    with app.extensions["database"].transaction() as session:
        many = add_customer(session, "web-many", "Many Orders", channel="web")
        for i in range(30):
            add_order(session, many, f"P{i:05d}", [("CAP-DAD-BEI", 1)], at("2026-02-01 00:00") + timedelta(hours=i))
    first = seller.get("/seller/orders?q=many").get_data(as_text=True)
    second = seller.get("/seller/orders?q=many&page=2").get_data(as_text=True)
    assert "Page 1 of 2 · 30 in all" in first and "P00029" in first and "P00005" in first and "P00004" not in first
    assert "P00004" in second and "P00000" in second and "P00005" not in second
    assert 'href="/seller/orders?page=2&amp;q=many"' in first


def test_detail_shows_items_customer_payment_and_transcript(seller, shop):
    html = seller.get("/seller/orders/a7k2q9").get_data(as_text=True)
    for expected in (
        "Heavyweight Hoodie",
        "HOOD-HVY-BLK-M",
        "€59.00",
        "Marie Dupont",
        "+33612345678",
        "manual",
        "pending",
        "do u have the black hoodie in M??",
        "ok I&#39;ll take 1",
        "Transcript: 3 messages",
        "Mark paid",
        "Cancel order",
    ):
        assert expected in html, expected
    assert "Mark fulfilled" not in html
    assert seller.get("/seller/orders/ZZZZZZ").status_code == 404


def test_mark_paid_then_fulfilled_with_a_note(app, seller, shop):
    db = app.extensions["database"]
    response = post_form(seller, "/seller/orders/A7K2Q9/paid", {"reference": "bank ref 991"})
    assert response.headers["Location"] == "/seller/orders/A7K2Q9"
    order, audit, outbox, payments = state(db, "A7K2Q9")
    assert order.status == "paid" and order.paid_at is not None
    assert [(a.actor, a.action, a.details) for a in audit] == [
        (f"seller:{EMAIL}", "order.paid", {"reference": "bank ref 991"})
    ]
    assert [(m.channel, m.recipient, m.kind, m.status) for m in outbox] == [
        ("web", "web-marie", "order_paid", "pending")
    ]
    assert [(p.status, p.reference) for p in payments] == [("paid", "bank ref 991")]
    assert "is marked paid" in seller.get("/seller/orders/A7K2Q9").get_data(as_text=True)

    post_form(seller, "/seller/orders/A7K2Q9/fulfilled", {"note": "DHL tracking 00340434"})
    order, audit, outbox, _ = state(db, "A7K2Q9")
    assert order.status == "fulfilled" and order.fulfilment_note == "DHL tracking 00340434"
    assert audit[-1].action == "order.fulfilled" and audit[-1].details == {"note": "DHL tracking 00340434"}
    assert outbox[-1].kind == "order_fulfilled" and outbox[-1].text.endswith("\nDHL tracking 00340434")
    html = seller.get("/seller/orders/A7K2Q9").get_data(as_text=True)
    # A fulfilled order can still be refunded (tests/integration/test_seller_order_refund.py); nothing else is left.
    assert "Mark fulfilled" not in html and "Refund the whole order." in html
    assert "paid by seller:owner@example.com" in html
    messages = html[html.index("Messages to the shopper") :]
    assert messages.index("Payment received") < messages.index("On its way")
    assert messages.count("waiting to be sent") == 2  # nothing has sent them yet


def test_a_refused_action_changes_nothing_and_says_why(app, seller, shop):
    db = app.extensions["database"]
    post_form(seller, "/seller/orders/A7K2Q9/fulfilled", {"note": "too early"})
    order, audit, outbox, _ = state(db, "A7K2Q9")
    assert order.status == "awaiting_payment" and order.fulfilment_note is None and audit == [] and outbox == []
    html = seller.get("/seller/orders/A7K2Q9").get_data(as_text=True)
    assert "Nothing changed: order A7K2Q9 is awaiting_payment; it cannot become fulfilled." in html
    post_form(seller, "/seller/orders/A7K2Q9/paid")
    post_form(seller, "/seller/orders/A7K2Q9/paid")  # a second click, or a second tab
    _, audit, outbox, _ = state(db, "A7K2Q9")
    assert len(audit) == 1 and len(outbox) == 1
    assert post_form(seller, "/seller/orders/A7K2Q9/ship").status_code == 404
    assert post_form(seller, "/seller/orders/NOPE99/paid").status_code == 404


def test_cancel_releases_the_stock_and_tells_the_shopper(app, seller, shop):
    db = app.extensions["database"]
    with db.transaction() as session:
        session.execute(update(OrderItem).values(stock_reserved=True))
        before = session.scalar(select(Variant.stock).where(Variant.sku == "HOOD-HVY-BLK-M"))
    post_form(seller, "/seller/orders/A7K2Q9/cancel")
    order, audit, outbox, _ = state(db, "A7K2Q9")
    assert order.status == "cancelled" and order.stock_released_at is not None
    assert audit[-1].action == "order.cancelled" and outbox[-1].kind == "order_cancelled"
    with db.reading() as session:
        assert session.scalar(select(Variant.stock).where(Variant.sku == "HOOD-HVY-BLK-M")) == before + 1


def test_orders_csv_export_for_a_date_range_and_status(app, seller, shop):
    with app.extensions["database"].transaction() as session:
        old = add_customer(session, "web-old", "Old Timer", channel="web")
        add_order(session, old, "D2F3G4", [("CAP-DAD-BEI", 1)], at("2026-03-05 12:00"), status="paid")
        add_order(session, old, "E2F3G4", [("CAP-DAD-BEI", 1)], at("2026-03-06 12:00"))
        add_order(session, old, "F2F3G4", [("CAP-DAD-BEI", 1)], at("2026-04-01 12:00"), status="paid")
    response = seller.get("/seller/orders/export.csv?from=2026-03-01&to=2026-03-31&status=paid")
    assert response.mimetype == "text/csv"
    assert 'filename="orders-2026-03-01-2026-03-31-paid.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["number"] for r in rows] == ["D2F3G4"]
    everything = list(csv.DictReader(io.StringIO(seller.get("/seller/orders/export.csv").get_data(as_text=True))))
    assert {r["number"] for r in everything} == {"A7K2Q9", "B8M3R4", "D2F3G4", "E2F3G4", "F2F3G4"}
    bad = seller.get("/seller/orders/export.csv?from=march")
    assert bad.status_code == 302 and bad.headers["Location"].startswith("/seller/orders")


def test_the_orders_page_links_the_export_with_its_filters(seller, shop):
    html = seller.get("/seller/orders?status=paid&from=2026-03-01").get_data(as_text=True)
    assert 'href="/seller/orders/export.csv?status=paid&amp;from=2026-03-01"' in html
    assert '<option value="paid" selected>' in html and 'value="2026-03-01"' in html


def test_proofs_of_payment_are_shown_and_served_safely(app, seller, shop):
    html = seller.get("/seller/orders/A7K2Q9").get_data(as_text=True)
    assert "The shopper sent no proof of payment." in html
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    with app.extensions["database"].transaction() as session:
        for i, (mime, content) in enumerate([("image/png", png), ("text/html", b"<script>alert(1)</script>")]):
            session.add(
                PaymentProof(
                    order_id=shop["order"],
                    customer_id=shop["marie"],
                    channel="telegram",
                    file_id=f"f{i}",
                    file_unique_id=f"u{i}",
                    mime_type=mime,
                    size_bytes=len(content),
                    content=content,
                    caption="<b>paid</b> via transfer" if i == 0 else None,
                )
            )
    html = seller.get("/seller/orders/A7K2Q9").get_data(as_text=True)
    assert "&lt;b&gt;paid&lt;/b&gt; via transfer" in html and "<b>paid" not in html
    assert '<img src="/seller/orders/A7K2Q9/proofs/1"' in html and "Download (text/html" in html
    image = seller.get("/seller/orders/A7K2Q9/proofs/1")
    assert image.status_code == 200 and image.data == png and image.mimetype == "image/png"
    assert (
        image.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in image.headers["Content-Security-Policy"]
    )
    markup = seller.get("/seller/orders/A7K2Q9/proofs/2")
    assert markup.mimetype == "application/octet-stream" and markup.headers["Content-Disposition"].startswith(
        "attachment"
    )
    assert seller.get("/seller/orders/B8M3R4/proofs/1").status_code == 404  # only through its own order
    logged_out = app.test_client().get("/seller/orders/A7K2Q9/proofs/1")
    assert logged_out.status_code == 302 and "/seller/login" in logged_out.headers["Location"]


def test_an_order_with_a_code_and_delivery_shows_how_its_total_adds_up(app, seller, shop):
    with app.extensions["database"].transaction() as session:
        ada = add_customer(session, "web-ada", "Ada")
        order = add_order(session, ada, "ZZ9KQ2", [("TEE-LOGO-BLK-M", 2)], at("2026-11-20 10:00"))
        order.subtotal_minor, order.discount_code, order.discount_minor = order.total_minor, "SPRING10", 498
        order.delivery_minor, order.total_minor = 490, order.total_minor - 498 + 490
    html = seller.get("/seller/orders/ZZ9KQ2").get_data(as_text=True)
    for text in ("Subtotal", "€49.80", "Discount (SPRING10)", "−€4.98", "Delivery", "€4.90", "€49.72"):
        assert text in html
    plain = seller.get("/seller/orders/A7K2Q9").get_data(as_text=True)
    assert "Subtotal" not in plain and "Delivery" not in plain  # an order without either shows its total only


def test_the_order_page_says_what_became_of_each_message_to_the_shopper(app, seller, shop):
    queued = at("2026-05-04 09:00")
    held = "not deliverable until the shopper writes (more than 24 hours since their last message)"
    rows = [  # (channel, kind, text, status, last_error, delivery_state), a minute apart
        ("whatsapp", "order_paid", "Payment received for order A7K2Q9", OutboxStatus.SENT, None, "read"),
        ("email", "email_order_paid", "Email: paid of order A7K2Q9", OutboxStatus.FAILED, "550 no such mailbox", None),
        ("whatsapp", "order_fulfilled", "Your order is on its way.\nDHL 00340434", OutboxStatus.HELD, held, None),
        (SELLER_CHANNEL, "invoice_refused", "Telegram refused the invoice", OutboxStatus.PENDING, None, None),
        ("whatsapp", "payment_failed", "Your card payment did not go through", OutboxStatus.PENDING, "timed out", None),
    ]
    with app.extensions["database"].transaction() as session:
        for minutes, (channel, kind, text, status, error, delivered) in enumerate(rows):
            session.add(
                OutboxMessage(
                    channel=channel,
                    recipient="seller" if channel == SELLER_CHANNEL else "33612345678",
                    customer_id=shop["marie"],
                    order_id=shop["order"],
                    kind=kind,
                    text=text,
                    status=status,
                    last_error=error,
                    delivery_state=delivered,
                    created_at=queued + timedelta(minutes=minutes),
                )
            )
    html = seller.get("/seller/orders/A7K2Q9").get_data(as_text=True)
    section = html[html.index("Messages to the shopper") : html.index('id="transcript"')]
    in_order = [
        "Payment received",
        "sent, read",
        "not delivered</span>: 550 no such mailbox",
        "On its way",
        "not deliverable",
        "Payment failed",
        "waiting to be sent (last try: timed out)",
    ]
    assert [section.index(words) for words in in_order] == sorted(section.index(words) for words in in_order)
    assert '<span class="badge flag">not deliverable until the shopper writes</span>' in section
    assert '<span class="badge flag">not delivered</span>: 550 no such mailbox' in section
    assert "2026-05-04 09:02" in section and "DHL 00340434" in section and "go out by themselves" in section
    assert "Telegram refused the invoice" not in section  # the seller's own alert about the order
    other = seller.get("/seller/orders/B8M3R4").get_data(as_text=True)
    assert "Nothing was queued for the shopper about this order." in other and "go out by themselves" not in other
