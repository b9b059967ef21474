"""The email channel end to end: order emails and campaign emails queued in the outbox, sent by the email sender to a
real SMTP server on loopback (aiosmtpd in this process), on SQLite and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from checkout.carts import add_to_cart, cart_fingerprint, view_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.customers.privacy import erase_customer_records
from checkout.db.models import Campaign, CampaignRecipient, Customer, Order, OutboxMessage, Variant, utcnow
from checkout.email.kinds import OrderEmail
from checkout.email.sender import EmailSender
from checkout.email.smtp_url import parse_smtp_url
from checkout.email.transactional import queue_order_email
from checkout.marketing.campaigns import CAMPAIGN_KIND
from checkout.marketing.consent import record_consent
from checkout.orders.lifecycle import change_status
from checkout.orders.placement import DeliveryDetails, place_order_from_cart
from checkout.orders.seller_actions import mark_fulfilled, mark_paid
from checkout.promotions.admin import PromoSpec, create_code
from checkout.promotions.cart_codes import apply_code_to_cart
from checkout.promotions.kinds import PromoKind
from checkout.settings import DEFAULT_PAYMENT_INSTRUCTIONS, Settings
from checkout.statuses import ConsentChannel, ConsentSource, OrderStatus
from tests.integration.orm_builders import add_customer, add_order, load_demo_catalog
from tests.ports import reserve_port
from tests.smtp_server import LoopbackSmtp, tls_contexts

ANA = ShopperIdentity("rest", "web-ana", "web-ana")
DETAILS = DeliveryDetails(
    name="Ana <b>Lima</b>", phone="+33612345678", address="3 rue Oberkampf, 75011 Paris", email="ana@example.com"
)
TEE = "TEE-LOGO-BLK-M"  # 24.90
PASSWORD = "s3cret p@ss:w/rd"


def email_settings(db, port: int, **changes) -> Settings:
    values = {
        "database_url": db.url,
        "shop_delivery_fee": "4.90",
        "shop_free_delivery_from": "80",
        "smtp_url": f"smtp://127.0.0.1:{port}",
        "shop_email_from": "Loop Streetwear <shop@loop.example>",
        "shop_postal_address": "Loop Streetwear, 12 rue du Faubourg, 75010 Paris, France",
        "shop_public_url": "https://shop.example.com",
        "shop_secret_key": "unsubscribe-signing-key",
    }
    return Settings(**{**values, **changes})


def sender_for(db, settings: Settings, **options) -> EmailSender:
    return EmailSender(db, settings, parse_smtp_url(settings.smtp_url), timeout=5, **options)


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


@pytest.fixture
def smtp():
    with LoopbackSmtp() as server:
        yield server


def rows(db, **where) -> list[OutboxMessage]:
    with db.reading() as session:
        query = select(OutboxMessage).filter_by(channel="email", **where).order_by(OutboxMessage.id)
        return list(session.scalars(query))


def wait_until(condition, timeout: float = 10.0) -> None:
    """Polls `condition` (a database state another thread changes) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        threading.Event().wait(0.02)


def place_discounted_order(db, settings: Settings) -> str:
    """2 tees (49.80) with 10% off (4.98) and delivery (4.90): 49.72, placed through the checkout service."""
    create_code(db, "XMAS10", PromoSpec(kind=PromoKind.PERCENT, value="10", currency="EUR"), actor="test")
    with db.transaction() as session:
        shopper = identify(session, ANA)
        add_to_cart(session, shopper, session.scalar(select(Variant).where(Variant.sku == TEE)), 2)
    apply_code_to_cart(db, settings, ANA, "xmas10")
    with db.reading() as session:
        cart = view_cart(session, identify(session, ANA), "EUR", settings.delivery_fees)
    return place_order_from_cart(db, settings, ANA, DETAILS, cart_fingerprint(cart)).number


def consenting_customer(session, user_id: str, email: str, consent: bool = True) -> Customer:
    customer = add_customer(session, user_id, "Marie Dupont", channel="telegram", email=email)
    if consent:
        record_consent(session, customer, [ConsentChannel.EMAIL], True, ConsentSource.CHECKOUT)
    return customer


def queue_campaign_email(session, customer: Customer, text: str = "Hi Marie,\n\n20% off hoodies this weekend.") -> int:
    """A campaign row as the campaign service queues it (the contract), with its recipient row."""
    campaign = session.scalar(select(Campaign).where(Campaign.name == "Winter"))
    if campaign is None:
        campaign = Campaign(name="Winter", message=text, currency="EUR", created_by="test", status="sending")
        session.add(campaign)
        session.flush()
    message = OutboxMessage(
        channel="email",
        recipient=customer.email,
        customer_id=customer.id,
        kind=CAMPAIGN_KIND,
        campaign_id=campaign.id,
        subject="Loop Streetwear: 20% off hoodies",
        text=text,
        image_url="https://cdn.example.com/hoodie.jpg",
        dedupe_key=f"campaign:{campaign.id}:{customer.id}:email",
    )
    session.add(message)
    session.flush()
    session.add(
        CampaignRecipient(
            campaign_id=campaign.id, customer_id=customer.id, channel="email", outbox_message_id=message.id
        )
    )
    return message.id


# --- order emails -------------------------------------------------------------------------------------------------


def test_order_emails_have_both_parts_the_right_totals_and_how_to_pay(shop, smtp):
    settings = email_settings(shop, smtp.port)
    sender = sender_for(shop, settings)
    number = place_discounted_order(shop, settings)
    assert sender.send_pending()
    smtp.wait_for(1)
    mark_paid(shop, number, actor="seller")
    mark_fulfilled(shop, number, actor="seller", note="Colissimo tracking 6A123456789")
    assert sender.send_pending()

    received = smtp.wait_for(3)
    assert [r.rcpt_tos for r in received] == [["ana@example.com"]] * 3
    assert {r.mail_from for r in received} == {"shop@loop.example"}
    confirmation, paid, shipped = (r.message for r in received)
    assert confirmation["Subject"] == f"Your order {number} at Loop Streetwear"
    assert confirmation["From"] == "Loop Streetwear <shop@loop.example>"
    assert confirmation["To"] == "ana@example.com"
    assert confirmation.is_multipart() and confirmation.get_content_type() == "multipart/alternative"
    assert "List-Unsubscribe" not in confirmation  # transactional: no marketing headers, no consent needed
    for part in (received[0].part("plain"), received[0].part("html")):
        for amount in ("€49.80", "-€4.98", "XMAS10", "€4.90", "€49.72", "2 × Logo Tee (black, M)", "€24.90"):
            assert amount in part.replace("&#215;", "×"), (amount, part)
        assert DEFAULT_PAYMENT_INSTRUCTIONS in part and f"Reference: {number}" in part.replace("<strong>", "")
    html = received[0].part("html")
    assert "Ana &lt;b&gt;Lima&lt;/b&gt;" in html and "<b>Lima" not in html  # what shoppers typed is escaped
    assert 'style="' in html and "<style" not in html  # CSS inlined
    assert paid["Subject"] == f"Payment received for order {number}" and "€49.72" in received[1].part("plain")
    assert "How to pay" not in received[1].part("plain")
    assert shipped["Subject"] == f"Your order {number} is on its way"
    for part in (received[2].part("plain"), received[2].part("html")):
        assert "Colissimo tracking 6A123456789" in part

    sent = rows(shop)
    assert [(m.kind, m.status, m.attempts) for m in sent] == [
        ("email_order_confirmation", "sent", 1),
        ("email_order_paid", "sent", 1),
        ("email_order_fulfilled", "sent", 1),
    ]
    assert [m.channel_message_id for m in sent] == [r.message["Message-ID"] for r in received]
    assert [m.dedupe_key for m in sent] == [
        f"email:order:{sent[0].order_id}:{e}" for e in ("confirmation", "paid", "fulfilled")
    ]


def test_an_expired_order_and_a_card_order_and_an_order_without_email(shop, smtp):
    settings = email_settings(shop, smtp.port, stripe_secret_key="sk_test_x", shop_payment_methods="stripe,manual")
    with shop.transaction() as session:
        ana = add_customer(session, "tg-ana", "Ana", channel="telegram")
        card = add_order(
            session, ana, "CARD01", [(TEE, 1)], utcnow(), customer_email="ana@example.com",
            payments=[{"method": "stripe", "status": "pending", "url": "https://checkout.stripe.test/c/1"}],
        )  # fmt: skip
        queue_order_email(session, card, OrderEmail.CONFIRMATION)
        expiring = add_order(session, ana, "EXPI01", [(TEE, 1)], utcnow(), customer_email="ana@example.com")
        change_status(session, expiring, OrderStatus.EXPIRED, actor="stripe")
        silent = add_order(session, ana, "NOMAIL", [(TEE, 1)], utcnow())  # no address given at checkout
        change_status(session, silent, OrderStatus.PAID, actor="seller")
        assert queue_order_email(session, silent, OrderEmail.CONFIRMATION) is None
        assert queue_order_email(session, card, OrderEmail.CONFIRMATION) is None  # once per order and kind
    assert sender_for(shop, settings).send_pending()

    card_email, expired_email = smtp.wait_for(2)
    card_text = card_email.part("plain")
    assert "open the payment link we sent you in the chat" in card_text
    assert DEFAULT_PAYMENT_INSTRUCTIONS not in card_text  # this order is being paid by card
    assert expired_email.message["Subject"] == "Your order EXPI01 has expired"
    assert "released the items" in expired_email.part("plain") and "released the items" in expired_email.part("html")
    assert [m.order_id for m in rows(shop)] == [card.id, expiring.id]


# --- marketing emails ---------------------------------------------------------------------------------------------


def test_a_marketing_email_has_rfc_8058_headers_a_visible_link_and_the_postal_address(shop, smtp):
    settings = email_settings(shop, smtp.port)
    with shop.transaction() as session:
        marie = consenting_customer(session, "tg-marie", "marie@example.com")
        message_id = queue_campaign_email(session, marie)
    assert sender_for(shop, settings).send_pending()

    [received] = smtp.wait_for(1)
    message = received.message
    assert message["Subject"] == "Loop Streetwear: 20% off hoodies"
    link, mailto = (part.strip() for part in message["List-Unsubscribe"].split(","))
    assert link.startswith("<https://shop.example.com/unsubscribe/") and link.endswith(">")
    assert mailto == "<mailto:shop@loop.example?subject=unsubscribe>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = link[1:-1]
    html, text = received.part("html"), received.part("plain")
    assert f'href="{url}"' in html and "Unsubscribe" in html and f"Unsubscribe: {url}" in text
    for part in (html, text):
        assert settings.shop_postal_address in part and "20% off hoodies this weekend." in part
    assert '<img src="https://cdn.example.com/hoodie.jpg"' in html and "Hi Marie,<br>" not in html
    with shop.reading() as session:
        recipient = session.scalar(select(CampaignRecipient).where(CampaignRecipient.outbox_message_id == message_id))
        assert recipient is not None and recipient.status == "sent"


def test_no_marketing_email_without_consent_at_send_time(shop, smtp):
    settings = email_settings(shop, smtp.port)
    with shop.transaction() as session:
        never = consenting_customer(session, "tg-never", "never@example.com", consent=False)
        changed_mind = consenting_customer(session, "tg-changed", "changed@example.com")
        forgotten = consenting_customer(session, "tg-forgotten", "forgotten@example.com")
        moved = consenting_customer(session, "tg-moved", "old@example.com")
        ids = [queue_campaign_email(session, c) for c in (never, changed_mind, forgotten, moved)]
        # After the campaign was queued: one unsubscribes, one is forgotten, one changes address.
        record_consent(session, changed_mind, [ConsentChannel.EMAIL], False, ConsentSource.CHAT)
        erase_customer_records(session, forgotten, actor="test")
        moved.email = "new@example.com"
    assert sender_for(shop, settings).send_pending()

    assert smtp.received == []
    failed = {m.id: m for m in rows(shop)}
    assert [failed[i].status for i in ids] == ["failed"] * 4
    assert "no consent" in failed[ids[0]].last_error and "no consent" in failed[ids[1]].last_error
    assert failed[ids[2]].last_error in ("nothing to send (text erased)", "the customer was forgotten")
    assert "address changed" in failed[ids[3]].last_error
    with shop.reading() as session:
        statuses = session.scalars(select(CampaignRecipient.status).order_by(CampaignRecipient.id))
        assert list(statuses) == ["failed"] * 4


def test_marketing_email_needs_a_postal_address(shop, smtp):
    settings = email_settings(shop, smtp.port, shop_postal_address="")
    with shop.transaction() as session:
        queue_campaign_email(session, consenting_customer(session, "tg-marie", "marie@example.com"))
    assert sender_for(shop, settings).send_pending()
    assert smtp.received == []
    [row] = rows(shop)
    assert row.status == "failed" and "SHOP_POSTAL_ADDRESS" in row.last_error


# --- failures and retries ----------------------------------------------------------------------------------------


def test_a_temporary_refusal_is_retried_with_backoff_and_a_permanent_one_fails(shop, smtp):
    settings = email_settings(shop, smtp.port)
    smtp.refuse("busy@example.com", "451 4.7.1 Greylisted, try again later")
    smtp.refuse("gone@example.com", "550 5.1.1 No such user")
    with shop.transaction() as session:
        busy_id = queue_campaign_email(session, consenting_customer(session, "tg-busy", "busy@example.com"))
        gone_id = queue_campaign_email(session, consenting_customer(session, "tg-gone", "gone@example.com"))

    sender = sender_for(shop, settings, poll_seconds=0.02, first_backoff=0.05)
    assert sender.send_pending() is False  # a temporary refusal: the round stops and the loop backs off
    [busy] = rows(shop, id=busy_id)
    assert (busy.status, busy.attempts) == ("pending", 1) and "451" in busy.last_error

    stop = threading.Event()
    loop = threading.Thread(target=sender.run, args=(stop,))
    loop.start()
    try:
        [received] = smtp.wait_for(1)
        wait_until(lambda: all(m.status in ("sent", "failed") for m in rows(shop)))
    finally:
        stop.set()
        loop.join(timeout=30)
    assert not loop.is_alive()
    assert received.rcpt_tos == ["busy@example.com"]
    by_id = {m.id: m for m in rows(shop)}
    assert (by_id[busy_id].status, by_id[busy_id].attempts, by_id[busy_id].last_error) == ("sent", 2, None)
    assert (by_id[gone_id].status, by_id[gone_id].attempts) == ("failed", 1)
    assert "550 5.1.1 No such user" in by_id[gone_id].last_error


def test_a_server_that_is_down_costs_no_attempt_and_mail_goes_when_it_is_back(shop):
    port = reserve_port()
    settings = email_settings(shop, port)
    with shop.transaction() as session:
        order = add_order(
            session, add_customer(session, "web-zoe", "Zoë"), "DOWN01", [(TEE, 1)], utcnow(), customer_email="z@ex.com"
        )
        queue_order_email(session, order, OrderEmail.CONFIRMATION)
    sender = sender_for(shop, settings)
    assert sender.send_pending() is False  # connection refused
    [row] = rows(shop)
    assert (row.status, row.attempts) == ("pending", 0)
    with LoopbackSmtp(port=port) as smtp:
        assert sender.send_pending()
        smtp.wait_for(1)
    [row] = rows(shop)
    assert (row.status, row.attempts) == ("sent", 1)


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd does not see implicit TLS
def test_tls_and_login_with_an_escaped_password_that_never_reaches_the_log(shop, tmp_path, caplog, scheme):
    server_tls, client_tls = tls_contexts(tmp_path)
    tls = {"starttls": server_tls} if scheme == "smtp+starttls" else {"implicit_tls": server_tls}
    caplog.set_level(logging.DEBUG)
    with LoopbackSmtp(login=("shop@loop.example", PASSWORD), **tls) as smtp:
        escaped = "s3cret%20p%40ss%3Aw%2Frd"
        with shop.transaction() as session:
            queue_campaign_email(session, consenting_customer(session, "tg-marie", "marie@example.com"))
        wrong = email_settings(
            shop, smtp.port, smtp_url=f"{scheme}://shop%40loop.example:nope{escaped}@127.0.0.1:{smtp.port}"
        )
        assert sender_for(shop, wrong, ssl_context=client_tls).send_pending() is False
        assert [(r.status, r.attempts) for r in rows(shop)] == [("pending", 0)]  # a refused login claims nothing

        right = email_settings(
            shop, smtp.port, smtp_url=f"{scheme}://shop%40loop.example:{escaped}@127.0.0.1:{smtp.port}"
        )
        assert sender_for(shop, right, ssl_context=client_tls).send_pending()
        smtp.wait_for(1)
        assert smtp.logins[-1] == ("shop@loop.example", PASSWORD)
    assert [r.status for r in rows(shop)] == ["sent"]
    assert "refused the login" in caplog.text
    assert PASSWORD not in caplog.text and escaped not in caplog.text and "s3cret" not in caplog.text


def test_a_pending_row_of_a_customer_forgotten_before_sending_is_not_sent(shop, smtp):
    settings = email_settings(shop, smtp.port)
    with shop.transaction() as session:
        zoe = add_customer(session, "web-zoe", "Zoë", email="zoe@example.com")
        order = add_order(session, zoe, "FORG01", [(TEE, 1)], utcnow() - timedelta(hours=1), customer_email=zoe.email)
        queue_order_email(session, order, OrderEmail.CONFIRMATION)
        erase_customer_records(session, zoe, actor="test")
    assert sender_for(shop, settings).send_pending()
    assert smtp.received == []
    [row] = rows(shop)
    assert row.status == "failed" and row.last_error == "nothing to send (text erased)"
    with shop.reading() as session:
        assert session.get(Order, order.id).customer_email is None


def test_an_email_that_cannot_be_written_is_tried_again_not_left_claimed(shop, smtp, monkeypatch):
    settings = email_settings(shop, smtp.port)
    with shop.transaction() as session:
        order = add_order(session, add_customer(session, "web-zoe", "Zoë"), "BUG001", [(TEE, 1)], utcnow())
        order.customer_email = "zoe@example.com"
        queue_order_email(session, order, OrderEmail.CONFIRMATION)

    def broken(*args, **kwargs):
        raise RuntimeError("template bug")

    monkeypatch.setattr("checkout.email.drafts.render_parts", broken)
    assert sender_for(shop, settings).send_pending() is False
    [row] = rows(shop)
    assert (row.status, row.attempts) == ("pending", 1) and "template bug" in row.last_error
    monkeypatch.undo()
    assert sender_for(shop, settings).send_pending()
    assert [r.message["Subject"] for r in smtp.wait_for(1)] == ["Your order BUG001 at Loop Streetwear"]
