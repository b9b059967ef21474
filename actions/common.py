"""What every action needs: who is writing, the domain's phrases, entities of the latest message, buttons."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from checkout.button_payloads import rasa_payload
from checkout.customers.identity import ShopperIdentity
from checkout.money import Money


class ShopAction(Action):
    """An action whose work (database, matching) runs in a worker thread, so one slow query does not
    hold up every other conversation on the action server's event loop."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        return await asyncio.to_thread(self.act, dispatcher, tracker, domain)

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        raise NotImplementedError


def skips_empty(validate):
    """For a form's validate_<slot>: rasa-sdk also validates slots an action just cleared (set to None)
    before the form starts; an empty slot is not an answer, so there is nothing to check or complain about."""

    @functools.wraps(validate)
    async def wrapper(self, value, dispatcher, tracker, domain):
        if value is None:
            return {}
        return await validate(self, value, dispatcher, tracker, domain)

    return wrapper


def shopper(tracker: Tracker) -> ShopperIdentity:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return ShopperIdentity.from_rasa(tracker.sender_id, tracker.get_latest_input_channel(), metadata)


def shopper_message_id(tracker: Tracker) -> str | None:
    """The id of the shopper message being answered (its channel's, or the one our clients give it): the services
    make its changes once, should its turn run again on another Rasa server (checkout/message_effects.py)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    value = metadata.get("message_id")
    return str(value) if value is not None else None


def phrase(domain: dict[str, Any], name: str, **values: Any) -> str:
    """A text fragment from domain.yml's responses, so every word the bot says lives there."""
    return domain["responses"][name][0]["text"].format(**values)


def entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value).strip() if value is not None and str(value).strip() else None


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


# Intents that are a question or a request of their own, not an answer to what a form asked.
INTERRUPTIONS = {
    "product_info",
    "browse_catalog",
    "ask_shipping",
    "ask_payment_methods",
    "ask_returns",
    "view_cart",
    "human_handoff",
    "bot_challenge",
    "order_status",
    "cancel_order",
    "add_to_cart",
    "remove_from_cart",
    "out_of_scope",
    "checkout",
    "greet",
    "thank",
    "goodbye",
    "choose_payment_method",
    "apply_discount",
    "remove_discount",
    "subscribe",
    "unsubscribe",
}
CONFIDENT = 0.8


# Small talk the model may see in an unusual name ("Quintessa Marchbanks" scored as `thank`): in a form it
# counts as small talk only when one of these words is there.
SMALL_TALK = {"greet", "thank", "goodbye"}
SMALL_TALK_WORDS = {
    "hi",
    "hii",
    "hello",
    "hey",
    "heya",
    "hallo",
    "hola",
    "bonjour",
    "salut",
    "ciao",
    "yo",
    "morning",
    "evening",
    "thanks",
    "thank",
    "thx",
    "ty",
    "tysm",
    "cheers",
    "merci",
    "gracias",
    "danke",
    "grazie",
    "obrigado",
    "obrigada",
    "bye",
    "goodbye",
    "cya",
    "later",
    "adios",
    "tschüss",
    "night",
    "appreciate",
    "great",
    "awesome",
}


def sounds_like_small_talk(text: str) -> bool:
    return any(word in SMALL_TALK_WORDS for word in re.findall(r"\w+", text.lower()))


YES_OR_NO_WORDS = {
    "yes",
    "yeah",
    "yep",
    "yup",
    "ya",
    "y",
    "sure",
    "ok",
    "okay",
    "k",
    "fine",
    "correct",
    "right",
    "no",
    "nope",
    "nah",
    "n",
    "not",
    "never",
    "si",
    "oui",
    "ja",
    "nein",
    "non",
    "sim",
    "nao",
    "please",
    "pls",
}


def sounds_like_yes_or_no(text: str) -> bool:
    return any(word in YES_OR_NO_WORDS for word in re.findall(r"\w+", text.lower()))


def is_interruption(tracker: Tracker) -> bool:
    intent = (tracker.latest_message or {}).get("intent") or {}
    if intent.get("name") not in INTERRUPTIONS or (intent.get("confidence") or 0) < CONFIDENT:
        return False
    return intent["name"] not in SMALL_TALK or sounds_like_small_talk(latest_text(tracker))


def button(title: str, intent: str, **entities: str) -> dict:
    return {"title": title, "payload": rasa_payload(intent, **entities)}


def price(minor: int, currency: str) -> str:
    return Money(minor, currency).display()
