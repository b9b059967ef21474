"""The seller dashboard under the Flask test client: an app on a real database, a seller, a logged-in client,
and a small shop of orders, customers and conversations built with the ORM."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from checkout.access.sellers import add_seller
from checkout.db.models import Conversation, Message, utcnow
from checkout.settings import Settings
from tests.fake_rasa import FakeRasa
from tests.integration.orm_builders import add_customer, add_order, load_demo_catalog
from web import create_app

EMAIL, PASSWORD = "owner@example.com", "correct horse battery"
XSS = "<script>alert(1)</script>"
RASA_TOKEN = "test-rasa-token"


@pytest.fixture
def rasa():
    fake = FakeRasa(lambda body: [], api_token=RASA_TOKEN)
    yield fake
    fake.close()


@pytest.fixture
def app(clean_db, rasa, tmp_path):
    settings = Settings(
        database_url=clean_db.url.replace("postgresql+psycopg://", "postgresql://"),
        rasa_port=rasa.port,
        rasa_api_token=RASA_TOKEN,
        shop_catalog_terms_file=str(tmp_path / "catalog_terms.json"),
    )
    flask_app = create_app({"SETTINGS": settings, "TESTING": True})
    flask_app.extensions["database"].dispose()
    flask_app.extensions["database"] = clean_db  # the test's own database object, shared with the test body
    with clean_db.transaction() as session:
        add_seller(session, EMAIL, PASSWORD)
    return flask_app


def csrf_token(client, path: str = "/seller/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, email: str = EMAIL, password: str = PASSWORD):
    return client.post("/seller/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


@pytest.fixture
def seller(app):
    """A client with a logged-in seller."""
    client = app.test_client()
    assert log_in(client).status_code == 302
    return client


def post_form(client, path: str, data: dict | None = None, page: str | None = None):
    """A form post with the CSRF token of a dashboard page."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page or "/seller/orders")})


def add_conversation(
    session, customer, texts: list[tuple[str, str]], handed_over: bool = False, **fields
) -> Conversation:
    """A conversation of ("in"|"out", text) messages, a minute apart, ending now."""
    now = utcnow()
    conversation = Conversation(
        customer_id=customer.id,
        sender_id=customer.channel_user_id,
        channel=customer.channel,
        started_at=now - timedelta(minutes=len(texts)),
        last_message_at=now,
        handoff_requested_at=now if handed_over else None,
        **fields,
    )
    session.add(conversation)
    session.flush()
    for i, (direction, text) in enumerate(texts):
        session.add(
            Message(
                conversation_id=conversation.id,
                direction=direction,
                text=text,
                intent="greet" if direction == "in" else None,
                confidence=0.9 if direction == "in" else None,
                created_at=now - timedelta(minutes=len(texts) - i),
            )
        )
    session.flush()
    return conversation


@pytest.fixture
def shop(clean_db):
    """The demo catalog; Marie with an order from a conversation; a shopper whose name is HTML."""
    load_demo_catalog(clean_db)
    now = utcnow()
    with clean_db.transaction() as session:
        marie = add_customer(session, "web-marie", "Marie Dupont", channel="web", phone="+33612345678")
        talk = add_conversation(
            session,
            marie,
            [
                ("in", "do u have the black hoodie in M??"),
                ("out", "Yes: Heavyweight Hoodie, €59.00"),
                ("in", "ok I'll take 1"),
            ],
            had_cart=True,
            had_order=True,
        )
        order = add_order(
            session,
            marie,
            "A7K2Q9",
            [("HOOD-HVY-BLK-M", 1)],
            now - timedelta(hours=1),
            conversation_id=talk.id,
            customer_phone="+33612345678",
            payments=[{"method": "manual", "status": "pending", "reference": "A7K2Q9"}],
        )
        evil = add_customer(session, "web-evil", XSS, channel="web", phone="+4915112345678")
        add_conversation(session, evil, [("in", XSS), ("in", "<img src=x onerror=alert(2)>")], handed_over=True)
        add_order(
            session,
            evil,
            "B8M3R4",
            [("CAP-DAD-BLK", 2)],
            now - timedelta(hours=2),
            customer_address=XSS,
            customer_phone="+4915112345678",
        )
        ids = {"marie": marie.id, "evil": evil.id, "talk": talk.id, "order": order.id}
    return ids
