"""Harness for the action tests, in the style of Rasa's financial-demo: each test calls an action's `run()` with a
real CollectingDispatcher, a Tracker built from a JSON-like dict and the domain read from domain.yml, against a
migrated SQLite file holding the demo catalog. `actions.runtime` (and every module that imported its functions by
name) is pointed at that database and at test settings. The fixtures are re-exported by conftest.py."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select, update

import actions.add_to_cart_form
import actions.cart_actions
import actions.catalog_actions
import actions.checkout_actions
import actions.checkout_start
import actions.order_actions
import actions.payment_actions
import actions.runtime
import actions.support_actions
from checkout.carts import add_to_cart, view_cart
from checkout.catalog.importer import import_catalog
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import Order, Variant
from checkout.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
SLOT_NAMES = list(DOMAIN["slots"]) + ["requested_slot"]
PATCHED_MODULES = (
    actions.runtime,
    actions.catalog_actions,
    actions.add_to_cart_form,
    actions.cart_actions,
    actions.checkout_actions,
    actions.checkout_start,
    actions.order_actions,
    actions.payment_actions,
    actions.support_actions,
)

PAYMENT_INSTRUCTIONS = "Pay by transfer to IBAN TEST 0000 1111 2222, reference: your order number."
SHIPPING_INFO = "Test shipping: 3 days, 5.00 EUR."
RETURNS_INFO = "Test returns: 14 days, label included."


@dataclass
class Shop:
    """The test shop's database and settings, with shortcuts to look at and change its rows."""

    db: Database
    settings: Settings

    def stock(self, sku: str) -> int | None:
        with self.db.transaction() as session:
            return session.scalar(select(Variant.stock).where(Variant.sku == sku))

    def set_variant(self, sku: str, **values) -> None:
        with self.db.transaction() as session:
            session.execute(update(Variant).where(Variant.sku == sku).values(**values))

    def count(self, model, *where) -> int:
        with self.db.transaction() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where))

    def orders(self) -> list[Order]:
        with self.db.transaction() as session:
            orders = list(session.scalars(select(Order).order_by(Order.id)))
            for order in orders:
                order.items, order.payments  # load while the session is open  # noqa: B018
            return orders

    def fill_cart(self, sender: str, lines: list[tuple[str, int]], channel: str = "rest") -> None:
        with self.db.transaction() as session:
            customer = identify(session, ShopperIdentity(channel, sender, sender))
            for sku, quantity in lines:
                add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == sku)), quantity)

    def cart(self, sender: str) -> list[tuple[str, int]]:
        with self.db.transaction() as session:
            customer = identify(session, ShopperIdentity("rest", sender, sender))
            return [(line.variant.sku, line.quantity) for line in view_cart(session, customer, "EUR").lines]


@pytest.fixture(scope="session")
def catalog_template(tmp_path_factory) -> Path:
    """A migrated SQLite file with the demo catalog, made once and copied for each test."""
    path = tmp_path_factory.mktemp("actions-template") / "shop.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        result = import_catalog(session, (ROOT / "data" / "catalog" / "demo.csv").read_bytes(), "EUR")
    assert result.ok, result.errors
    db.dispose()
    return path


@pytest.fixture
def shop(tmp_path, catalog_template, monkeypatch) -> Shop:
    path = tmp_path / "shop.db"
    with closing(sqlite3.connect(catalog_template)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)  # a consistent copy, whatever is still in the template's write-ahead log
    settings = Settings(
        database_url=f"sqlite:///{path}",
        rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}",
        shop_name="Test Shop",
        shop_currency="EUR",
        shop_payment_instructions=PAYMENT_INSTRUCTIONS,
        shop_shipping_info=SHIPPING_INFO,
        shop_returns_info=RETURNS_INFO,
        shop_payment_methods="manual",
    )
    db = Database(settings.database_url)
    for module in PATCHED_MODULES:
        if hasattr(module, "settings"):
            monkeypatch.setattr(module, "settings", lambda: settings)
        if hasattr(module, "database"):
            monkeypatch.setattr(module, "database", lambda: db)
    yield Shop(db, settings)
    db.dispose()


@pytest.fixture
def domain() -> dict[str, Any]:
    return DOMAIN


# --- trackers, running actions, reading what they did ------------------------------------------------------------


def user_event(text: str, parse_data: dict, channel: str = "rest", metadata: dict | None = None) -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": parse_data,
        "input_channel": channel,
        "metadata": metadata or {},
    }


def action_event(name: str) -> dict:
    return {"event": "action", "name": name}


def tracker(
    sender: str = "web-ana",
    text: str = "",
    intent: str | None = None,
    entities: dict | list | None = None,
    slots: dict | None = None,
    metadata: dict | None = None,
    events: list | None = None,
    active_loop: str | None = None,
    confidence: float = 0.97,
    channel: str = "rest",
    latest_action_name: str = "action_listen",
) -> Tracker:
    """A tracker as Rasa sends it to the action server, after the shopper said `text`."""
    if isinstance(entities, dict):
        entities = [{"entity": name, "value": value} for name, value in entities.items()]
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence} if intent else {},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    if events is None:
        events = [
            action_event("action_session_start"),
            action_event("action_listen"),
            user_event(text, latest, channel, metadata),
        ]
    state = {
        "sender_id": sender,
        "slots": {**{name: None for name in SLOT_NAMES}, **(slots or {})},
        "latest_message": latest,
        "events": events,
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": latest_action_name,
    }
    return Tracker.from_dict(state)


def form_turn_tracker(
    form: str,
    requested_slot: str,
    text: str,
    intent: str = "inform",
    entities: dict | None = None,
    slots: dict | None = None,
    sender: str = "web-ana",
    confidence: float = 0.97,
) -> Tracker:
    """The tracker Rasa sends to validate_<form> when the shopper answers the form's question: the events end
    with action_listen, the shopper's message, then the form's own ActionExecuted."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "metadata": {},
    }
    events = [
        action_event("action_listen"),
        user_event("earlier", {}),
        action_event("action_start_cart_line"),
        action_event(form),
        {"event": "active_loop", "name": form},
        {"event": "slot", "name": "requested_slot", "value": requested_slot},
        action_event("action_listen"),
        user_event(text, latest),
        action_event(form),
    ]
    return tracker(
        sender,
        text,
        intent,
        entities,
        {**(slots or {}), "requested_slot": requested_slot},
        events=events,
        active_loop=form,
        confidence=confidence,
        latest_action_name=form,
    )


def run(action, tracker_: Tracker, domain_: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Runs the action as the action server would; returns (messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, domain_ or DOMAIN))
    return dispatcher.messages, events


def responses(messages: list[dict]) -> list[str]:
    return [m["response"] for m in messages]


def slot_sets(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def followup(events: list[dict]) -> str | None:
    return next((e["name"] for e in events if e["event"] == "followup"), None)


def render(message: dict, domain_: dict | None = None) -> str:
    """The text Rasa would send for a `response=` message: its template filled with the values passed."""
    template = (domain_ or DOMAIN)["responses"][message["response"]][0]["text"]
    return template.format(**{k: v for k, v in message.items() if k not in ("text", "template", "response")})
