"""Unsubscribing from marketing emails: the link of a real email sent to aiosmtpd on loopback, opened and posted to
through the web app (Flask's test client, no cookies, no CSRF token), on SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from checkout.db.models import Campaign, ConsentChange, Customer, OutboxMessage
from checkout.email.sender import EmailSender
from checkout.email.smtp_url import parse_smtp_url
from checkout.email.unsubscribe import unsubscribe_token
from checkout.marketing.campaigns import CAMPAIGN_KIND
from checkout.marketing.consent import record_consent
from checkout.settings import Settings
from checkout.statuses import ConsentChannel, ConsentSource
from tests.integration.orm_builders import add_customer
from tests.smtp_server import LoopbackSmtp
from web import create_app

SECRET = "unsubscribe-signing-key"


@pytest.fixture
def smtp():
    with LoopbackSmtp() as server:
        yield server


@pytest.fixture
def settings(clean_db, smtp) -> Settings:
    return Settings(
        database_url=clean_db.url,
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        shop_email_from="shop@loop.example",
        shop_postal_address="Loop Streetwear, 12 rue du Faubourg, 75010 Paris",
        shop_public_url="https://shop.example.com",
        shop_secret_key=SECRET,
    )


@pytest.fixture
def client(clean_db, settings):
    app = create_app({"SETTINGS": settings, "TESTING": True})
    app.extensions["database"].dispose()
    app.extensions["database"] = clean_db
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF stays on: the unsubscribe route is exempt on its own
    return app.test_client(use_cookies=False)  # a mail client's one-click POST carries no cookie


@pytest.fixture
def marie(clean_db) -> tuple[int, int]:
    """(customer id, campaign id): Marie said yes to offers by email; a campaign exists."""
    with clean_db.transaction() as session:
        customer = add_customer(session, "tg-marie", "Marie", channel="telegram", email="marie.dupont@example.com")
        record_consent(session, customer, [ConsentChannel.EMAIL], True, ConsentSource.CHECKOUT)
        campaign = Campaign(name="Winter", message="Hi", currency="EUR", created_by="test", status="sending")
        session.add(campaign)
        session.flush()
        return customer.id, campaign.id


def queue_campaign_email(db, customer_id: int, campaign_id: int, n: int) -> int:
    with db.transaction() as session:
        message = OutboxMessage(
            channel="email",
            recipient="marie.dupont@example.com",
            customer_id=customer_id,
            kind=CAMPAIGN_KIND,
            campaign_id=campaign_id,
            subject=f"Offer {n}",
            text=f"Offer number {n}",
            dedupe_key=f"test:{n}",
        )
        session.add(message)
        session.flush()
        return message.id


def consent(db, customer_id: int) -> tuple[bool, list[tuple[bool, str, int | None]]]:
    with db.reading() as session:
        changes = session.scalars(select(ConsentChange).where(ConsentChange.customer_id == customer_id))
        history = [(c.granted, c.source, c.campaign_id) for c in changes]
        return session.get_one(Customer, customer_id).email_consent, history


def one_click(client, path: str):
    """What a mail client sends for RFC 8058's one-click unsubscribe."""
    return client.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )  # fmt: skip


def test_the_emails_one_click_post_unsubscribes_and_nothing_more_is_sent(clean_db, settings, client, smtp, marie):
    customer_id, campaign_id = marie
    sender = EmailSender(clean_db, settings, parse_smtp_url(settings.smtp_url), timeout=5)
    queue_campaign_email(clean_db, customer_id, campaign_id, 1)
    assert sender.send_pending()
    [received] = smtp.wait_for(1)
    url = received.message["List-Unsubscribe"].split(",")[0].strip()[1:-1]
    assert url.startswith("https://shop.example.com/unsubscribe/")
    path = urlsplit(url).path

    page = client.get(path)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and b"Unsubscribe</button>" in page.data and b"m***@example.com" in page.data
    assert b"marie.dupont" not in page.data
    assert consent(clean_db, customer_id) == (True, [(True, "checkout", None)])

    done = one_click(client, path)
    assert done.status_code == 200 and b"You are unsubscribed" in done.data
    assert consent(clean_db, customer_id) == (False, [(True, "checkout", None), (False, "email_link", campaign_id)])

    again = one_click(client, path)  # works any number of times, records nothing new
    assert again.status_code == 200 and b"You are unsubscribed" in again.data
    assert len(consent(clean_db, customer_id)[1]) == 2
    assert b"Unsubscribe</button>" not in client.get(path).data  # the page now says it is done

    next_id = queue_campaign_email(clean_db, customer_id, campaign_id, 2)
    assert sender.send_pending()
    assert len(smtp.received) == 1
    with clean_db.reading() as session:
        row = session.get_one(OutboxMessage, next_id)
        assert row.status == "failed" and "no consent" in (row.last_error or "")


def test_the_pages_button_posts_without_a_csrf_token_while_other_forms_still_need_one(clean_db, client, marie):
    customer_id, campaign_id = marie
    path = "/unsubscribe/" + unsubscribe_token(SECRET, customer_id, campaign_id)
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert consent(clean_db, customer_id)[0] is False
    assert client.post("/seller/login", data={"email": "x@example.com", "password": "x"}).status_code == 400


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        unsubscribe_token("another-shops-key", 1, 1),
        unsubscribe_token(SECRET, 1, 1)[:-2] + "xx",  # the signature altered
        unsubscribe_token(SECRET, 999, 1),  # signed, but nobody
    ],
)
def test_a_forged_or_garbled_token_gets_404_and_changes_nothing(clean_db, client, marie, token):
    customer_id, _ = marie
    for response in (client.get(f"/unsubscribe/{token}"), one_click(client, f"/unsubscribe/{token}")):
        assert response.status_code == 404 and b"This link does not work" in response.data
    assert consent(clean_db, customer_id) == (True, [(True, "checkout", None)])
    with clean_db.reading() as session:
        assert session.scalar(select(func.count(ConsentChange.id))) == 1
