"""One customer's data: exported whole, and forgotten everywhere while the books still add up."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, text

from checkout.customers.privacy import erase_customer_records
from checkout.db.models import (
    AuditLog,
    CampaignRecipient,
    Cart,
    CartItem,
    ConsentChange,
    Conversation,
    Customer,
    InboundMessage,
    Message,
    NluReview,
    Order,
    OutboxMessage,
    Payment,
    Variant,
    utcnow,
)
from checkout.marketing.consent import record_consent
from checkout.notifications import mark_failed, queue_order_update
from checkout.records.recorder import FORGOTTEN, RECORDED, apply_event
from checkout.settings import Settings
from checkout.statuses import ConsentChannel, ConsentSource, InboundStatus, ReviewState
from cli.context import AppContext
from cli.main import shop
from tests.integration.campaign_rows import add_campaign, queue_campaign
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog
from tests.records_events import SHOP_SECRET, bot_event, user_event

MARKERS = {
    "name": "Zephyrine Quokkaberg",
    "phone": "+44 7700 900461",
    "email": "zephyrine.q@example.org",
    "address": "17 Marmalade Crescent, Nether Wallop",
}
SENDER = "zq-chat-31337"


def rasa_stores(tmp_path):
    tracker, events = tmp_path / "rasa.db", tmp_path / "rasa_events.db"
    with sqlite3.connect(tracker) as c:  # the columns Rasa's SQLTrackerStore creates
        c.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255), "
            "timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
        )
        c.execute(
            "INSERT INTO events (sender_id, type_name, data) VALUES (?, 'slot', ?)",
            (SENDER, json.dumps({"event": "slot", "name": "phone", "value": MARKERS["phone"]})),
        )
        c.execute("INSERT INTO events (sender_id, type_name, data) VALUES ('someone-else', 'user', '{}')")
    with sqlite3.connect(events) as c:
        c.execute("CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY, sender_id VARCHAR(255), data TEXT)")
        c.execute(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            (SENDER, json.dumps(user_event(SENDER, f"I am {MARKERS['name']}"))),
        )
    return f"sqlite:///{tracker}", f"sqlite:///{events}"


@pytest.fixture
def shop_with_a_customer(clean_db, tmp_path):
    load_demo_catalog(clean_db)
    tracker_url, events_url = rasa_stores(tmp_path)
    with clean_db.transaction() as session:
        for event in (
            user_event(
                SENDER, f"hi, I am {MARKERS['name']}", "inform", entities=[{"entity": "name", "value": MARKERS["name"]}]
            ),
            bot_event(SENDER, f"Thanks {MARKERS['name']}! Your phone?", "utter_ask_phone"),
            user_event(SENDER, f"{MARKERS['phone']}, {MARKERS['email']}, {MARKERS['address']}", "inform"),
        ):
            assert apply_event(session, event, SHOP_SECRET) == RECORDED
        customer = session.scalar(select(Customer))
        customer.name, customer.phone, customer.email, customer.address = (
            MARKERS["name"],
            MARKERS["phone"],
            MARKERS["email"],
            MARKERS["address"],
        )
        conversation = session.scalar(select(Conversation))
        paid = add_order(
            session,
            customer,
            "A7K2Q9",
            [("HOOD-HVY-BLK-M", 2)],
            at("2026-11-20 10:00"),
            status="paid",
            conversation_id=conversation.id,
            customer_phone=MARKERS["phone"],
            customer_email=MARKERS["email"],
            customer_address=MARKERS["address"],
            payments=[
                {
                    "method": "stripe",
                    "status": "paid",
                    "reference": "cs_test_1",
                    "provider_data": {"customer_email": MARKERS["email"]},
                }
            ],
        )
        add_order(
            session,
            customer,
            "B8L3R4",
            [("TEE-LOGO-BLK-S", 1)],
            at("2026-11-21 10:00"),
            customer_phone=MARKERS["phone"],
        )
        queue_order_update(session, paid, "paid")
        variant = session.scalar(select(Variant).where(Variant.sku == "TEE-LOGO-BLK-S"))
        session.add(Cart(customer_id=customer.id, items=[CartItem(variant_id=variant.id, quantity=1)]))
        # Said yes to offers at checkout (chat and email, at their address), got a campaign, then said stop.
        record_consent(
            session,
            customer,
            [ConsentChannel.CHAT, ConsentChannel.EMAIL],
            True,
            ConsentSource.CHECKOUT,
            at=at("2026-11-20 10:00"),
        )
        campaign = add_campaign(session, "Winter sale")
        [message] = queue_campaign(session, campaign, [customer], text=lambda c: f"Hi {c.name}, 20% off with WINTER20")
        mark_failed(session, message.id, f"550 <{MARKERS['email']}>: no such user", permanent=True)
        record_consent(session, customer, [ConsentChannel.CHAT], False, ConsentSource.CHAT, campaign_id=campaign.id)
        customer.consent_asked_at = at("2026-11-20 10:00")
        other = add_customer(session, "someone-else", "Other Person")
        add_order(session, other, "C9M4S5", [("TEE-LOGO-BLK-S", 1)], at("2026-11-21 11:00"))
        customer_id = customer.id
    settings = Settings(
        database_url=clean_db.url,
        rasa_tracker_url=tracker_url,
        rasa_events_url=events_url,
        shop_secret_key=SHOP_SECRET,
        shop_var_dir=str(tmp_path),
    )
    return clean_db, settings, customer_id


def run(settings, *args):
    context = AppContext(settings)
    result = CliRunner().invoke(shop, list(args), obj=context, catch_exceptions=False)
    if "db" in context.__dict__:
        context.db.dispose()
    return result


def dump(db, *sqlite_files) -> str:
    """Every row of every table, ours and Rasa's, as text."""
    parts = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            parts += [repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    for path in sqlite_files:
        with sqlite3.connect(path) as c:
            parts += list(c.iterdump())
    return "\n".join(parts)


def test_export_holds_the_record_orders_conversations_and_messages(shop_with_a_customer):
    db, settings, customer_id = shop_with_a_customer
    result = run(settings, "customers", "export", str(customer_id))
    data = json.loads(result.output)
    assert data["customer"]["name"] == MARKERS["name"] and data["customer"]["order_count"] == 2
    assert [o["number"] for o in data["orders"]] == ["A7K2Q9", "B8L3R4"]
    assert [m["direction"] for m in data["messages"]] == ["in", "out", "in"]
    assert data["messages"][0]["intent"] == "inform" and len(data["conversations"]) == 1
    assert data["cart"] == [{"sku": "TEE-LOGO-BLK-S", "quantity": 1}]
    assert "Other Person" not in result.output
    assert run(settings, "customers", "export", "999").exit_code == 1


def test_export_holds_the_consent_history_and_the_campaign_messages(shop_with_a_customer):
    db, settings, customer_id = shop_with_a_customer
    data = json.loads(run(settings, "customers", "export", str(customer_id)).output)
    assert (data["customer"]["marketing_consent"], data["customer"]["email_consent"]) == (False, True)
    consent = data["consent"]
    assert (consent["chat"], consent["email"], consent["asked_at"]) == (False, True, "2026-11-20T10:00:00Z")
    assert [(h["channel"], h["granted"], h["source"], h["email"], h["campaign"]) for h in consent["history"]] == [
        ("chat", True, "checkout", None, None),
        ("email", True, "checkout", MARKERS["email"], None),
        ("chat", False, "chat", None, "Winter sale"),
    ]
    assert consent["history"][0]["at"] == "2026-11-20T10:00:00Z" and all(
        h["wording_version"] for h in consent["history"]
    )
    [received] = data["campaign_messages"]
    assert (received["campaign"], received["channel"], received["status"], received["promo_code"]) == (
        "Winter sale",
        "telegram",
        "failed",
        "WINTER20",
    )
    assert received["text"] == f"Hi {MARKERS['name']}, 20% off with WINTER20"


def test_forget_leaves_no_trace_of_the_person_and_keeps_the_books(shop_with_a_customer):
    db, settings, customer_id = shop_with_a_customer
    with db.reading() as session:
        totals_before = session.scalar(select(func.sum(Order.total_minor)))
        items_before = [
            (i.sku, i.quantity, i.unit_price_minor)
            for o in session.scalars(select(Order).order_by(Order.id))
            for i in o.items
        ]
    tracker_file, events_file = settings.rasa_tracker_url[10:], settings.rasa_events_url[10:]
    assert MARKERS["phone"] in dump(db, tracker_file, events_file)

    result = run(settings, "customers", "forget", str(customer_id), "--yes")
    assert result.exit_code == 0, result.output

    everything = dump(db, tracker_file, events_file)
    for marker in (*MARKERS.values(), SENDER, "Zephyrine"):
        assert marker not in everything
    with db.reading() as session:
        assert session.scalar(select(func.sum(Order.total_minor))) == totals_before
        assert [
            (i.sku, i.quantity, i.unit_price_minor)
            for o in session.scalars(select(Order).order_by(Order.id))
            for i in o.items
        ] == items_before
        assert session.scalar(select(Payment.reference)) == "cs_test_1"
        assert session.scalar(select(func.count(Message.id))) == 3  # the intents stay for the statistics
        assert session.scalar(select(Customer).where(Customer.id == customer_id)).forgotten_at is not None
        assert session.scalar(select(Customer.name).where(Customer.channel_user_id == "someone-else")) == "Other Person"
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "customer.forgotten"))
        assert audit.entity_id == str(customer_id) and audit.actor == "cli"
        assert set(session.scalars(select(OutboxMessage.text))) == {""}  # the order update and the campaign's
        assert session.scalar(select(func.count(ConsentChange.id))) == 0
        recipient = session.scalar(select(CampaignRecipient))  # still counted in the campaign's report...
        assert (recipient.promo_code, recipient.error) == (None, None)  # ...but no longer says who got which code
        forgotten = session.get_one(Customer, customer_id)
        assert (forgotten.marketing_consent, forgotten.email_consent, forgotten.consent_asked_at) == (
            False,
            False,
            None,
        )
    with sqlite3.connect(tracker_file) as c:
        assert c.execute("SELECT sender_id FROM events").fetchall() == [("someone-else",)]


def test_events_still_queued_for_a_forgotten_chat_do_not_bring_it_back(shop_with_a_customer):
    db, settings, customer_id = shop_with_a_customer
    queued = user_event(SENDER, f"it's {MARKERS['name']} again", timestamp=1_790_000_000.0)
    run(settings, "customers", "forget", str(customer_id), "--yes")
    with db.transaction() as session:
        assert apply_event(session, queued, SHOP_SECRET) == FORGOTTEN
        assert (
            apply_event(session, user_event(SENDER, "hello, new here", timestamp=time.time()), SHOP_SECRET) == RECORDED
        )  # a new contact, later
    with db.reading() as session:
        fresh = session.scalar(select(Customer).where(Customer.channel_user_id == SENDER))
        assert fresh.id != customer_id and fresh.name is None
    assert MARKERS["name"] not in dump(db)


def test_forget_refuses_an_unknown_customer_and_asks_before_erasing(shop_with_a_customer):
    db, settings, customer_id = shop_with_a_customer
    assert "no customer" in run(settings, "customers", "forget", "999", "--yes").output
    aborted = CliRunner().invoke(shop, ["customers", "forget", str(customer_id)], obj=AppContext(settings), input="n\n")
    assert aborted.exit_code == 1
    with db.reading() as session:
        assert session.get(Customer, customer_id).name == MARKERS["name"]


def test_forgetting_a_whatsapp_shopper_drops_their_stored_messages(clean_db):
    """What the webhook stored (waiting for the worker, or kept for the 24-hour window) is their words and number."""
    with clean_db.transaction() as session:
        customer = add_customer(session, "351912345678", "Ana Lima", channel="whatsapp")
        for wa_id, status in (("351912345678", InboundStatus.PENDING), ("447700900123", InboundStatus.PENDING)):
            session.add(
                InboundMessage(
                    channel="whatsapp",
                    message_id=f"wamid.{wa_id}",
                    chat_id=wa_id,
                    body={"message": {"type": "text", "text": {"body": "I'm Ana Lima"}}, "profile_name": "Ana Lima"},
                    status=status,
                    received_at=utcnow(),
                )
            )
        erase_customer_records(session, customer, actor="test")
    with clean_db.reading() as session:
        assert list(session.scalars(select(InboundMessage.chat_id))) == ["447700900123"]  # someone else's stays


def test_forgetting_drops_their_flags_and_unlinks_the_examples_a_trainer_added(clean_db):
    with clean_db.transaction() as session:
        customer = add_customer(session, "4242", "Ana Lima")
        conversation = Conversation(customer=customer, sender_id="4242", channel="telegram", started_at=utcnow())
        flagged, annotated = (
            Message(conversation=conversation, direction="in", text=t) for t in ("hm?", "u do paypal")
        )
        session.add_all([conversation, flagged, annotated])
        session.flush()
        session.add_all(
            [
                NluReview(text_key="k1", message_id=flagged.id, state=ReviewState.FLAGGED),
                NluReview(text_key="k2", message_id=annotated.id, state=ReviewState.TRAINING, example="paypal?"),
            ]
        )
        session.flush()
        erase_customer_records(session, customer, actor="test")
    with clean_db.reading() as session:
        assert [(r.text_key, r.message_id) for r in session.scalars(select(NluReview))] == [("k2", None)]
