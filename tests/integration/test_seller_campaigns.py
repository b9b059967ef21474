"""Seller dashboard, campaigns: the list and the create form (refused whole on bad input), a campaign's page with
the preview (who receives it per channel, who is left out and why), the test send, the send (once), the stop and
the report; the notice when email is not set up; and what the customer page shows of consent and campaigns."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from checkout.customers.identity import ShopperIdentity
from checkout.db.models import (
    AuditLog,
    Campaign,
    CampaignRecipient,
    Customer,
    OutboxMessage,
    Promotion,
    utcnow,
)
from checkout.marketing.attribution import credited_campaign
from checkout.marketing.consent import CONSENT_WORDING_VERSION, record_consent, unsubscribe_in_chat
from checkout.notifications import SELLER_CHANNEL, mark_failed, mark_sent, mark_unreachable
from checkout.promotions.admin import PromoSpec, create_code
from checkout.promotions.kinds import PromoKind
from checkout.statuses import ConsentChannel, ConsentSource
from tests.integration.dashboard import EMAIL, XSS, post_form
from tests.integration.orm_builders import add_customer, add_order, load_demo_catalog

PAGE = "/seller/campaigns"
SELLER = f"seller:{EMAIL}"
BOTH = (ConsentChannel.CHAT, ConsentChannel.EMAIL)


def db_of(app):
    return app.extensions["database"]


def email_on(app, seller_chat: str = "4242") -> None:
    """Email fully set up (campaign emails can go out) and the seller's Telegram chat known."""
    app.config["SETTINGS"] = replace(
        app.config["SETTINGS"],
        smtp_url="smtp://127.0.0.1:2525",
        shop_email_from="shop@example.com",
        shop_postal_address="1 Rue de la Paix, Paris",
        shop_public_url="https://shop.example.com",
        shop_secret_key="test-secret",
        telegram_seller_chat_id=seller_chat,
    )


@pytest.fixture
def shop(clean_db):
    """Ana (Telegram, yes to both), Bo (Telegram, yes, no email), Cy (web chat, yes by email), Di (Telegram, no),
    Ed (Telegram, yes in the chat, blocked the bot)."""
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
        return {c.name: c.id for c in (ana, bo, cy, di, ed)}


def create(seller, **fields) -> str:
    form = {"name": "Winter", "message": "Hi {first_name}! 20% off this week.", "discount": "none", **fields}
    return post_form(seller, PAGE, form).headers["Location"]


def campaign_ids(app) -> list[int]:
    with db_of(app).reading() as session:
        return list(session.scalars(select(Campaign.id).order_by(Campaign.id)))


def count(app, model, *where) -> int:
    with db_of(app).reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audit(app, action: str) -> list[tuple[str, str]]:
    with db_of(app).reading() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        return [(a.actor, a.entity_id) for a in rows]


def outbox_ids(app, campaign_id: int) -> dict[str, int]:
    with db_of(app).reading() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.campaign_id == campaign_id))
        return {m.recipient: m.id for m in rows}


def test_create_a_campaign_with_a_code_segments_channels_and_an_image(app, seller, shop):
    create_code(db_of(app), "WINTER20", PromoSpec(PromoKind.PERCENT, "20", "EUR"), actor="cli")
    form = {
        "message": "Hi {first_name}, use {code}!",
        "segments": ["best", "new"],
        "channels": ["chat"],
        "image_url": "https://cdn.example.com/hoodie.jpg",
        "discount": "code",
        "code": "winter20",
        "prefix": "IGNORED",  # only the chosen discount's fields count
    }
    location = create(seller, **form)
    [campaign_id] = campaign_ids(app)
    assert location == f"{PAGE}/{campaign_id}"
    with db_of(app).reading() as session:
        campaign = session.get_one(Campaign, campaign_id)
        assert (campaign.segments, campaign.channels, campaign.promo_code) == (["best", "new"], ["chat"], "WINTER20")
        assert campaign.image_url == "https://cdn.example.com/hoodie.jpg" and campaign.promotion_id is None
    assert audit(app, "campaign.create") == [(SELLER, str(campaign_id))]
    html = seller.get(location).get_data(as_text=True)
    assert "Campaign created as a draft" in html and "Hi Alex, use WINTER20!" in html
    assert 'src="https://cdn.example.com/hoodie.jpg"' in html and "Best, New" in html
    listing = seller.get(PAGE).get_data(as_text=True)
    assert 'href="/seller/campaigns" aria-current="page"' in listing
    assert f'href="/seller/campaigns/{campaign_id}">Winter</a>' in listing and ">draft</span>" in listing


def test_create_with_a_batch_of_single_use_codes(app, seller, shop):
    form = {
        "discount": "batch",
        "prefix": "back",
        "kind": "amount",
        "value": "5",
        "min_order": "30",
        "ends": "2026-12-24",
    }
    location = create(seller, **form)
    with db_of(app).reading() as session:
        promotion = session.scalar(select(Promotion))
        assert (promotion.batch_prefix, promotion.kind, promotion.value, promotion.max_uses) == (
            "BACK",
            "amount",
            500,
            1,
        )
        assert promotion.min_order_minor == 3000 and promotion.ends_at.isoformat().startswith("2026-12-25")
    html = seller.get(location).get_data(as_text=True)
    assert "Your code: BACK-XXXXXX" in html and "€5.00 off, from €30.00, until 2026-12-25 00:00 UTC" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "give the campaign a name"),
        ({"message": " "}, "write the message"),
        ({"message": "x" * 2001}, "at most 2000"),
        ({"segments": ["vip"]}, "unknown segment(s) vip"),
        ({"channels": ["fax"]}, "unknown channel(s) fax"),
        ({"image_url": "javascript:alert(1)"}, "the image must be an http(s) address"),
        ({"discount": "code", "code": "NOPE"}, "there is no code NOPE"),
        ({"discount": "code", "code": ""}, "give the code every recipient gets"),
        ({"discount": "batch", "prefix": "back", "kind": "percent", "value": "150"}, "a percent off is a whole number"),
        ({"discount": "batch", "prefix": "b@d!", "kind": "percent", "value": "10"}, "is not a code prefix"),
        ({"discount": "batch", "prefix": "back", "kind": "bogus"}, "choose what the code does"),
        ({"discount": "batch", "prefix": "back", "kind": "amount", "value": "5", "ends": "24/12"}, "is not a date"),
        ({"discount": "code", "code": XSS}, "there is no code"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(app, seller, shop, changes, message):
    assert create(seller, **changes) == PAGE
    html = seller.get(PAGE).get_data(as_text=True)
    assert "Nothing created:" in html and (message in html or message.replace("'", "&#39;") in html)
    assert campaign_ids(app) == [] and count(app, Promotion) == 0 and audit(app, "campaign.create") == []
    assert XSS not in html


def test_the_preview_shows_recipients_per_channel_and_who_is_left_out_and_why(app, seller, shop):
    email_on(app)
    html = seller.get(create(seller)).get_data(as_text=True)
    assert "4 messages to 3 customers" in html and "2 by email, 2 by telegram" in html
    assert "telegram: 2" in html and "email: 2" in html and "ana@example.com" in html
    for label, n in {
        "has not said yes to offers here": 2,  # Di, both channels
        "blocked the bot": 1,  # Ed
        "no email address": 2,  # Bo and Ed
        "web chat cannot be written to first: email only": 1,  # Cy's chat
    }.items():
        assert f"{label}: {n}</summary>" in html
    assert f'href="/seller/customers/{shop["Di"]}">Di</a> · telegram' in html
    assert "Send 4 messages to 3 customers now" in html and "Send test to me" in html
    assert "email is not set up" not in html and "TELEGRAM_SELLER_CHAT_ID is not set" not in html


def test_with_email_unset_the_dashboard_says_email_recipients_are_left_out(app, seller, shop):
    listing = seller.get(PAGE).get_data(as_text=True)
    assert "Email is not set up (SMTP_URL and SHOP_EMAIL_FROM): email recipients are left out" in listing
    html = seller.get(create(seller)).get_data(as_text=True)
    assert "Email is not set up" in html and "email is not set up (SMTP_URL): 2</summary>" in html  # Ana, Cy
    assert "2 messages to 2 customers" in html
    email_on(app)
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], shop_postal_address="")
    assert "Campaign emails would fail: SHOP_POSTAL_ADDRESS is not set" in seller.get(PAGE).get_data(as_text=True)


def test_a_test_send_queues_the_message_for_the_sellers_chat(app, seller, shop):
    email_on(app)
    location = create(
        seller, message="Hi {first_name}, {code} for you", discount="batch", prefix="vip", kind="percent", value="10"
    )
    campaign_id = campaign_ids(app)[0]
    post_form(seller, f"{location}/test")
    with db_of(app).reading() as session:
        alert = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == SELLER_CHANNEL))
    assert alert.kind == "campaign_test" and "Hi Alex, VIP-XXXXXX for you" in alert.text
    assert count(app, CampaignRecipient) == 0  # nobody else got anything
    assert "Test queued for your Telegram chat" in seller.get(location).get_data(as_text=True)
    assert audit(app, "campaign.test_send") == [(SELLER, str(campaign_id))]
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], telegram_seller_chat_id="")
    page = seller.get(location).get_data(as_text=True)
    assert "TELEGRAM_SELLER_CHAT_ID is not set: a test is sent to your Telegram chat, so it cannot arrive" in page
    post_form(seller, f"{location}/test")
    assert "TELEGRAM_SELLER_CHAT_ID is not set: it cannot arrive anywhere" in seller.get(location).get_data(
        as_text=True
    )


def test_send_queues_each_message_once_and_a_second_send_is_refused(app, seller, shop):
    email_on(app)
    location = create(seller)
    campaign_id = campaign_ids(app)[0]
    post_form(seller, f"{location}/send")  # the confirmation box not ticked
    assert "Nothing sent: tick the box" in seller.get(location).get_data(as_text=True)
    assert count(app, OutboxMessage, OutboxMessage.campaign_id == campaign_id) == 0
    assert post_form(seller, f"{location}/send", {"confirm": "yes"}).headers["Location"] == location
    html = seller.get(location).get_data(as_text=True)
    assert "4 messages queued" in html and ">live</span>" in html and ">Stop</button>" in html
    assert sorted(outbox_ids(app, campaign_id)) == ["101", "102", "ana@example.com", "cy@example.com"]
    assert count(app, CampaignRecipient, CampaignRecipient.campaign_id == campaign_id) == 4
    post_form(seller, f"{location}/send", {"confirm": "yes"})
    again = seller.get(location).get_data(as_text=True)
    assert "Nothing sent: campaign" in again and "a campaign is sent once" in again
    assert count(app, OutboxMessage, OutboxMessage.campaign_id == campaign_id) == 4
    assert audit(app, "campaign.send") == [(SELLER, str(campaign_id))]
    assert ">live</span>" in seller.get(PAGE).get_data(as_text=True)


def test_stop_holds_back_what_is_still_queued(app, seller, shop):
    email_on(app)
    location = create(seller)
    campaign_id = campaign_ids(app)[0]
    post_form(seller, f"{location}/send", {"confirm": "yes"})
    with db_of(app).transaction() as session:
        mark_sent(session, outbox_ids(app, campaign_id)["101"], "tg-1")
    post_form(seller, f"{location}/stop")
    html = seller.get(location).get_data(as_text=True)
    assert "Campaign stopped: 3 queued messages will not be sent." in html
    assert ">stopped</span>" in html and ">Stop</button>" not in html and "Send test to me" not in html
    assert "<dt>Sent (delivered)</dt><dd>1</dd>" in html and "<dt>Failed</dt><dd>3</dd>" in html
    assert audit(app, "campaign.stop") == [(SELLER, str(campaign_id))]


def test_the_report_shows_deliveries_failures_unsubscribes_orders_and_revenue(app, seller, shop):
    email_on(app)
    location = create(seller)
    campaign_id = campaign_ids(app)[0]
    post_form(seller, f"{location}/send", {"confirm": "yes"})
    rows = outbox_ids(app, campaign_id)
    with db_of(app).transaction() as session:
        mark_sent(session, rows["101"], "1")
        mark_sent(session, rows["ana@example.com"], "<m1@x>")
        mark_unreachable(session, rows["102"], "Forbidden: bot was blocked by the user")
        mark_failed(session, rows["cy@example.com"], "550 no such user", permanent=True)
    unsubscribe_in_chat(db_of(app), ShopperIdentity("telegram", "101", "101"), None, window_days=7)
    with db_of(app).transaction() as session:
        ana = session.get_one(Customer, shop["Ana Lima"])
        now = utcnow()
        for number, status in (("CAMP01", "paid"), ("CAMP02", "cancelled"), ("CAMP03", "awaiting_payment")):
            order = add_order(session, ana, number, [("TEE-LOGO-BLK-M", 2)], now, status=status)
            order.campaign_id = credited_campaign(session, ana.id, None, now, 7)
    html = seller.get(location).get_data(as_text=True)
    figures = {
        "Recipients": "4",
        "Queued": "0",
        "Sent (delivered)": "2",
        "Failed": "2",
        "Unsubscribed": "1",
        "Orders": "2",
        "Revenue": "€99.60",
        "Paid revenue": "€49.80",
        "Revenue per recipient": "€24.90",
    }
    for label, value in figures.items():
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html
    assert ">sent</span>" in html and ">Stop</button>" not in html
    assert "blocked the bot" in html or "Forbidden: bot was blocked by the user" in html
    row = seller.get(PAGE).get_data(as_text=True).split(f'id="campaign-{campaign_id}"')[1].split("</tr>")[0]
    cells = [c.split("<", 1)[0] for c in row.split('class="num">')[1:]]
    assert cells == ["4", "2", "2", "1", "2", "€99.60"]


def test_a_campaign_name_message_and_image_address_are_shown_as_text(app, seller, shop):
    email_on(app)
    image = 'https://x.example/a.jpg"onerror="alert(2)'
    location = create(seller, name=XSS, message=f"Hi {{first_name}} {XSS}", image_url=image)
    assert location != PAGE
    for page in (PAGE, location):
        html = seller.get(page).get_data(as_text=True)
        assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert '"onerror="' not in html


def test_the_customer_page_shows_consent_its_history_and_the_campaigns_received(app, seller, shop):
    email_on(app)
    create_code(db_of(app), "WINTER20", PromoSpec(PromoKind.PERCENT, "20", "EUR"), actor="cli")
    location = create(seller, name="Winter <sale>", discount="code", code="WINTER20")
    campaign_id = campaign_ids(app)[0]
    post_form(seller, f"{location}/send", {"confirm": "yes"})
    with db_of(app).transaction() as session:
        mark_sent(session, outbox_ids(app, campaign_id)["101"], "1")
    unsubscribe_in_chat(db_of(app), ShopperIdentity("telegram", "101", "101"), ConsentChannel.CHAT, window_days=7)
    html = seller.get(f"/seller/customers/{shop['Ana Lima']}").get_data(as_text=True)
    consent = html.split('id="consent"')[1].split("</section>")[0]
    assert "<dt>In the chat</dt><dd>no · telegram" in consent
    assert "<dt>By email</dt><dd>yes · ana@example.com</dd>" in consent
    history = html.split('id="consent-history"')[1].split("</section>")[0]
    assert history.count("<tr><td") == 3  # yes by chat and by email at checkout, then no in the chat
    assert "checkout" in history and f"<code>{CONSENT_WORDING_VERSION}</code>" in history
    assert f'href="/seller/campaigns/{campaign_id}">Winter &lt;sale&gt;</a>' in history  # the "stop" answered it
    received = html.split('id="campaigns"')[1].split("</section>")[0]
    assert received.count("<code>WINTER20</code>") == 2 and ">sent</td>" in received and ">queued</td>" in received
    web_chat = seller.get(f"/seller/customers/{shop['Cy Tran']}").get_data(as_text=True)
    assert "the web chat cannot be written to first" in web_chat
    nobody = seller.get(f"/seller/customers/{shop['Ed']}").get_data(as_text=True)
    assert "blocked the bot" in nobody and "No campaign messages." in nobody


def test_an_unknown_campaign_is_not_found(seller):
    assert seller.get(f"{PAGE}/999").status_code == 404
    assert post_form(seller, f"{PAGE}/999/send", {"confirm": "yes"}).headers["Location"] == f"{PAGE}/999"
