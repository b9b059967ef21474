"""Harness for the action tests, in the style of Rasa's financial-demo: each test calls an action's `run()` with a
real CollectingDispatcher, a Tracker built from a JSON-like dict and the domain read from domain.yml, against a
migrated SQLite file holding the demo catalog. The actions reach their settings and database through
`actions.runtime` only, so the `shop` fixture (in conftest.py) points that one module at the test database and
settings. Here are the helpers the tests import; the fixtures are in conftest.py."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select, update

import actions.runtime
from actions.checkout_actions import ActionOrderSummary
from actions.order_actions import ActionResolveConfirmation
from actions.payment_actions import ActionStartPayment
from checkout.carts import add_to_cart, view_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.models import Order, Variant
from checkout.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
SLOT_NAMES = list(DOMAIN["slots"]) + ["requested_slot"]

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


# --- checkout and payment steps, shared by the checkout and payment tests -----------------------------------------

DETAILS = {
    "customer_name": "Zoë Müller-Lefèvre",
    "customer_phone": "+33612345678",
    "customer_address": "12 rue de la Paix, 75002 Paris",
    "customer_email": "zoe@example.com",
}


def use_settings(shop: Shop, monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """The test shop with some settings changed, as the actions read them (through actions.runtime)."""
    shop.settings = shop.settings.replace(**changes)
    monkeypatch.setattr(actions.runtime, "settings", lambda: shop.settings)


def summary(sender="web-ana", slots=None) -> tuple[list, str]:
    messages, events = run(
        ActionOrderSummary(), tracker(sender, "no thanks", "deny", slots={**DETAILS, **(slots or {})})
    )
    return messages, slot_sets(events).get("pending_confirmation")


def confirm(
    pending: str, intent: str = "affirm", text: str = "yes", sender: str = "web-ana", slots=None, metadata=None
):
    return run(
        ActionResolveConfirmation(),
        tracker(
            sender, text, intent, metadata=metadata, slots={**DETAILS, "pending_confirmation": pending, **(slots or {})}
        ),
    )


def press(button: dict, sender="web-ana", channel="rest"):
    """What Rasa hands the action when a payment button's payload comes back: its intent and entities."""
    intent, entities = button["payload"][1:].split("{", 1)
    return run(
        ActionStartPayment(),
        tracker(sender, button["payload"], intent, json.loads("{" + entities), confidence=1.0, channel=channel),
    )


def choose(method: str, number: str) -> str:
    return f'/choose_payment_method{{"payment_method": "{method}", "order_number": "{number}"}}'
