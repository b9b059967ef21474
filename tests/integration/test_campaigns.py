"""Campaigns on a real database (SQLite, and PostgreSQL with TEST_DATABASE_URL): who a campaign reaches and who is
left out, the send queueing each (customer, channel) once, stop, the report, and the orders credited to it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from checkout.customers.identity import ShopperIdentity
from checkout.db.models import CampaignRecipient, ConsentChange, Customer, InboundMessage, OutboxMessage, utcnow
from checkout.marketing.attribution import credited_campaign
from checkout.marketing.audience import Exclusion
from checkout.marketing.campaigns import (
    CampaignError,
    CampaignSpec,
    create_campaign,
    personalise,
    preview_campaign,
    send_campaign,
    stop_campaign,
)
from checkout.marketing.consent import answer_checkout_question, record_consent, unsubscribe_in_chat
from checkout.marketing.report import report_campaign
from checkout.notifications import mark_failed, mark_sent, mark_unreachable
from checkout.promotions.admin import PromoSpec, create_code
from checkout.promotions.kinds import PromoKind
from checkout.settings import Settings
from checkout.statuses import ConsentChannel, ConsentSource, InboundStatus, OutboxStatus, RecipientStatus
from cli.context import AppContext
from cli.main import shop as shop_command
from tests.integration.orm_builders import add_customer, add_order, load_demo_catalog

BOTH = (ConsentChannel.CHAT, ConsentChannel.EMAIL)


@pytest.fixture
def shop(clean_db):
    """Ana (Telegram, said yes to both), Bo (Telegram, yes by chat only, no email), Cy (web chat, yes by email),
    Di (Telegram, said no), Ed (Telegram, yes, blocked the bot)."""
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        ana = add_customer(session, "101", "Ana Lima", channel="telegram", email="ana@example.com")
        bo = add_customer(session, "102", "Bo", channel="telegram")
        cy = add_customer(session, "web-cy", "Cy Tran", channel="rest", email="cy@example.com")
        di = add_customer(session, "104", "Di", channel="telegram", email="di@example.com")
        ed = add_customer(session, "105", "Ed", channel="telegram")
        record_consent(session, ana, BOTH, True, ConsentSource.CHECKOUT)
        record_consent(session, bo, BOTH, True, ConsentSource.CHAT)
        record_consent(session, cy, BOTH, True, ConsentSource.CHECKOUT)
        record_consent(session, di, BOTH, False, ConsentSource.CHECKOUT)
        record_consent(session, ed, [ConsentChannel.CHAT], True, ConsentSource.CHAT)
        ed.unreachable_at = utcnow()
    return clean_db


def settings_for(db, **changes) -> Settings:
    base = {"smtp_url": "smtp://127.0.0.1:2525", "shop_email_from": "shop@example.com"}
    return Settings(database_url=db.url, **{**base, **changes})


def new_campaign(db, message="Hi {first_name}! 20% off this week.", **options) -> int:
    return create_campaign(db, CampaignSpec(name="Winter", message=message, **options), actor="test")


def ids(db, model, *where) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_preview_lists_who_receives_it_per_channel_and_who_is_left_out_and_why(shop):
    _, audience = preview_campaign(shop, settings_for(shop), new_campaign(shop))
    received = sorted((r.customer.name, r.channel, r.address) for r in audience.recipients)
    assert received == [
        ("Ana Lima", "email", "ana@example.com"),
        ("Ana Lima", "telegram", "101"),
        ("Bo", "telegram", "102"),
        ("Cy Tran", "email", "cy@example.com"),
    ]
    left_out = {(e.customer.name, e.channel): e.reason for e in audience.excluded}
    assert left_out == {
        ("Bo", "email"): Exclusion.NO_EMAIL,
        ("Cy Tran", "rest"): Exclusion.WEB_CHAT,
        ("Di", "telegram"): Exclusion.NO_CONSENT,
        ("Di", "email"): Exclusion.NO_CONSENT,
        ("Ed", "telegram"): Exclusion.BLOCKED,
        ("Ed", "email"): Exclusion.NO_EMAIL,
    }
    assert audience.counts == {"telegram": 2, "email": 2}
    _, email_off = preview_campaign(shop, settings_for(shop, smtp_url=""), new_campaign(shop, channels=("email",)))
    assert email_off.recipients == [] and {e.reason for e in email_off.excluded} >= {Exclusion.EMAIL_OFF}


def test_whatsapp_shoppers_receive_offers_only_within_24_hours_of_their_last_message(shop):
    with shop.transaction() as session:
        for wa_id, name, hours_ago in (("351911111111", "Fe", 2), ("351922222222", "Gil", 30)):
            customer = add_customer(session, wa_id, name, channel="whatsapp")
            record_consent(session, customer, [ConsentChannel.CHAT], True, ConsentSource.CHAT)
            session.add(
                InboundMessage(
                    channel="whatsapp",
                    message_id=f"wamid.{wa_id}",
                    chat_id=wa_id,
                    status=InboundStatus.HANDLED,
                    received_at=utcnow() - timedelta(hours=hours_ago),
                )
            )
    _, audience = preview_campaign(shop, settings_for(shop), new_campaign(shop, channels=("chat",)))
    assert ("Fe", "whatsapp", "351911111111") in {(r.customer.name, r.channel, r.address) for r in audience.recipients}
    left_out = {(e.customer.name, e.channel): e.reason for e in audience.excluded}
    assert left_out[("Gil", "whatsapp")] == Exclusion.OUTSIDE_WINDOW


def test_a_segment_narrows_the_audience(shop):
    with shop.transaction() as session:
        ana = session.scalar(select(Customer).where(Customer.name == "Ana Lima"))
        add_order(session, ana, "SEGN01", [("TEE-LOGO-BLK-M", 1)], utcnow() - timedelta(days=3), status="paid")
    _, audience = preview_campaign(shop, settings_for(shop), new_campaign(shop, segments=("new",)))
    assert {r.customer.name for r in audience.recipients} == {"Ana Lima"}


def test_send_queues_each_customer_and_channel_once_with_their_name_and_code(shop):
    create_code(shop, "WINTER20", PromoSpec(PromoKind.PERCENT, "20", "EUR"), actor="test")
    campaign_id = new_campaign(shop, message="Hi {first_name}, use {code} this week!", code="winter20")
    assert send_campaign(shop, settings_for(shop), campaign_id, "test") == 4
    with shop.reading() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.campaign_id == campaign_id)).all()
        texts = {(m.channel, m.recipient): m.text for m in rows}
        subjects = {m.subject for m in rows if m.channel == "email"}
    assert texts[("telegram", "101")] == "Hi Ana, use WINTER20 this week!"
    assert texts[("email", "cy@example.com")] == "Hi Cy, use WINTER20 this week!"
    assert subjects == {"Loop Streetwear: Winter"}
    assert ids(shop, CampaignRecipient, CampaignRecipient.campaign_id == campaign_id) == 4
    with pytest.raises(CampaignError, match="sent once"):
        send_campaign(shop, settings_for(shop), campaign_id, "test")
    assert ids(shop, OutboxMessage, OutboxMessage.campaign_id == campaign_id) == 4


def test_a_batch_gives_each_customer_one_single_use_code_on_every_channel(shop):
    batch = PromoSpec(PromoKind.AMOUNT, "5.00", "EUR")
    campaign_id = new_campaign(shop, batch_prefix="back", batch=batch)
    send_campaign(shop, settings_for(shop), campaign_id, "test")
    with shop.reading() as session:
        given = session.execute(
            select(CampaignRecipient.customer_id, CampaignRecipient.promo_code).where(
                CampaignRecipient.campaign_id == campaign_id
            )
        ).all()
    per_customer: dict[int, set[str]] = {}
    for customer_id, code in given:
        per_customer.setdefault(customer_id, set()).add(code)
    assert all(len(codes) == 1 for codes in per_customer.values())  # Ana's chat and email share one code
    codes = [next(iter(c)) for c in per_customer.values()]
    assert len(set(codes)) == 3 and all(c.startswith("BACK-") for c in codes)


def test_stop_holds_back_what_is_still_queued(shop):
    campaign_id = new_campaign(shop)
    send_campaign(shop, settings_for(shop), campaign_id, "test")
    with shop.transaction() as session:
        first = session.scalar(select(OutboxMessage.id).where(OutboxMessage.campaign_id == campaign_id).limit(1))
        mark_sent(session, first, "tg-1")
    assert stop_campaign(shop, campaign_id, "test") == 3
    with shop.reading() as session:
        statuses = sorted(
            session.scalars(select(CampaignRecipient.status).where(CampaignRecipient.campaign_id == campaign_id))
        )
        pending = session.scalar(
            select(func.count()).where(
                OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.PENDING
            )
        )
    assert statuses == [RecipientStatus.SENT] + [RecipientStatus.STOPPED] * 3 and pending == 0
    report = report_campaign(shop, campaign_id)
    assert (report["status"], report["sent"], report["failed"], report["queued"]) == ("stopped", 1, 3, 0)


def test_the_report_counts_sends_failures_unsubscribes_and_credited_orders(shop):
    campaign_id = new_campaign(shop)
    send_campaign(shop, settings_for(shop), campaign_id, "test")
    with shop.transaction() as session:
        rows = {
            m.recipient: m.id
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.campaign_id == campaign_id))
        }
        mark_sent(session, rows["101"], "1")
        mark_sent(session, rows["ana@example.com"], "<m1@x>")
        mark_unreachable(session, rows["102"], "Forbidden: bot was blocked by the user")
        mark_failed(session, rows["cy@example.com"], "550 no such user", permanent=True)
    with shop.reading() as session:
        assert session.scalar(select(Customer.unreachable_at).where(Customer.name == "Bo")) is not None
    ana_chat = ShopperIdentity("telegram", "101", "101")  # Ana writes "stop" after the campaign
    unsubscribe_in_chat(shop, ana_chat, None, window_days=7)
    with shop.transaction() as session:
        ana = session.scalar(select(Customer).where(Customer.name == "Ana Lima"))
        now = utcnow()
        paid = add_order(session, ana, "CAMP01", [("TEE-LOGO-BLK-M", 2)], now, status="paid")
        lost = add_order(session, ana, "CAMP02", [("TEE-LOGO-BLK-M", 1)], now, status="cancelled")
        open_ = add_order(session, ana, "CAMP03", [("TEE-LOGO-BLK-M", 1)], now)
        for order in (paid, lost, open_):
            order.campaign_id = credited_campaign(session, ana.id, None, now, 7)
    report = report_campaign(shop, campaign_id)
    assert report == {
        "id": campaign_id,
        "name": "Winter",
        "status": "sent",
        "recipients": 4,
        "queued": 0,
        "sent": 2,
        "failed": 2,
        "unsubscribed": 1,
        "orders": 2,
        "revenue": "74.70",
        "paid_revenue": "49.80",
        "currency": "EUR",
    }


def test_an_order_is_credited_to_the_campaign_of_its_code_or_the_latest_received_lately(shop):
    create_code(shop, "FIRST10", PromoSpec(PromoKind.PERCENT, "10", "EUR"), actor="test")
    first = new_campaign(shop, code="FIRST10")
    second = new_campaign(shop)
    for campaign_id in (first, second):
        send_campaign(shop, settings_for(shop), campaign_id, "test")
    with shop.transaction() as session:
        for message_id in session.scalars(select(OutboxMessage.id).where(OutboxMessage.recipient == "101")):
            mark_sent(session, message_id)
        ana_id = session.scalar(select(Customer.id).where(Customer.name == "Ana Lima"))
        now = utcnow()
        assert credited_campaign(session, ana_id, "FIRST10", now, 7) == first  # the code says which
        assert credited_campaign(session, ana_id, None, now, 7) == second  # the latest one received
        assert credited_campaign(session, ana_id, None, now + timedelta(days=8), 7) is None  # too long ago
        cy_id = session.scalar(select(Customer.id).where(Customer.name == "Cy Tran"))
        assert credited_campaign(session, cy_id, None, now, 7) is None  # queued, never received


def test_the_checkout_answer_is_recorded_once_with_its_wording_and_both_channels(shop):
    ana = ShopperIdentity("telegram", "200", "200")
    state = answer_checkout_question(shop, ana, True, "new@example.com")
    assert (state.chat, state.email, state.email_address) == (True, True, None)  # the address is the change's
    with shop.reading() as session:
        changes = session.scalars(select(ConsentChange).order_by(ConsentChange.id.desc()).limit(2)).all()
        assert {(c.channel, c.granted, c.source, c.email) for c in changes} == {
            ("chat", True, "checkout", None),
            ("email", True, "checkout", "new@example.com"),
        }
        assert all(c.wording_version for c in changes)
        customer = session.scalar(select(Customer).where(Customer.channel_user_id == "200"))
        assert customer.consent_asked_at is not None


def test_a_campaign_must_say_something_to_someone(shop):
    with pytest.raises(CampaignError, match="message"):
        new_campaign(shop, message="  ")
    with pytest.raises(CampaignError, match="segment"):
        new_campaign(shop, segments=("vip",))
    with pytest.raises(CampaignError, match="no code"):
        new_campaign(shop, code="NOPE")
    assert personalise("{first_name}, {code} {other}", "", None) == "there,  {other}"


def test_the_cli_creates_previews_sends_and_reports(shop, tmp_path):
    message = tmp_path / "message.txt"
    message.write_text("Hi {first_name}, new arrivals are in!", encoding="utf-8")
    runner = CliRunner()
    obj = AppContext(settings_for(shop))

    def shop_cli(*args: str):
        result = runner.invoke(shop_command, list(args), obj=obj, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    campaign_id = int(shop_cli("campaign", "create", "Arrivals", "--message-file", str(message), "--channel", "chat"))
    preview = json.loads(shop_cli("campaign", "preview", str(campaign_id), "--format", "json"))
    assert preview["counts"] == {"telegram": 2}
    assert {"customer_id", "name", "channel"} == set(preview["recipients"][0])
    assert {"customer_id", "name", "channel", "reason"} == set(preview["excluded"][0])
    assert "2 messages queued" in shop_cli("campaign", "send", str(campaign_id))
    report = json.loads(shop_cli("campaign", "report", str(campaign_id), "--format", "json"))
    assert (report["recipients"], report["queued"], report["status"]) == (2, 2, "sending")
    assert "stopped" in shop_cli("campaign", "stop", str(campaign_id))
    assert json.loads(shop_cli("campaign", "list"))[0]["id"] == campaign_id
