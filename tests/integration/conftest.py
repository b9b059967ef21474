"""Fixtures of the seller dashboard tests, under the Flask test client: an app on a real database (`app`), a
logged-in seller's client (`seller`), and a small shop of orders, customers and conversations built with the ORM
(`shop`). A test module that defines its own `app` or `shop` fixture uses that one instead."""

from __future__ import annotations

from datetime import timedelta

import pytest

from checkout.access.sellers import add_seller
from checkout.db.models import utcnow
from checkout.settings import Settings
from tests.fake_rasa import FakeRasa
from tests.integration.dashboard import EMAIL, PASSWORD, RASA_TOKEN, XSS, add_conversation, log_in
from tests.integration.orm_builders import add_customer, add_order, load_demo_catalog
from web import create_app


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


@pytest.fixture
def seller(app):
    """A client with a logged-in seller."""
    client = app.test_client()
    assert log_in(client).status_code == 302
    return client


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
