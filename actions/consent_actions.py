"""Offers, the shopper's choice: "send me offers" and "stop sending me offers" / "unsubscribe" / "stop" in any chat,
applied at once and confirmed; and the question shown once with a customer's first order summary (its buttons send
/subscribe and /unsubscribe while the `consent_question` slot is set)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import runtime
from actions.common import ShopAction, latest_text, phrase, shopper, shopper_message_id
from checkout.marketing.consent import answer_checkout_question, subscribe_in_chat, unsubscribe_in_chat
from checkout.statuses import ConsentChannel

EMAIL_WORDS = re.compile(r"\b(?:e-?mails?|mails?|inbox|newsletters?|correo|courriel)\b", re.I)
CHAT_WORDS = re.compile(r"\b(?:here|chat|telegram|whatsapp|messages?|dms?|texts?)\b", re.I)


def named_channel(text: str) -> ConsentChannel | None:
    """The one channel the shopper named ("no more emails", "send deals here"); None: both or neither."""
    email, chat = bool(EMAIL_WORDS.search(text)), bool(CHAT_WORDS.search(text))
    if email == chat:
        return None
    return ConsentChannel.EMAIL if email else ConsentChannel.CHAT


def where(domain: dict[str, Any], chat: bool, email: bool) -> str:
    """ "here in the chat and by email", "here in the chat", "by email"."""
    parts = [phrase(domain, "phrase_offers_in_chat")] * chat + [phrase(domain, "phrase_offers_by_email")] * email
    return phrase(domain, "phrase_and").join(parts)


def checkout_email(tracker: Tracker) -> str | None:
    email = tracker.get_slot("customer_email")
    return email if email and "@" in email else None  # "-": skipped


class ActionSubscribe(ShopAction):
    """ "send me offers", or the Yes button of the checkout's question (both channels, the email given there)."""

    action_name = "action_subscribe"

    def act(self, dispatcher, tracker, domain):
        message_id = shopper_message_id(tracker)
        if tracker.get_slot("consent_question"):
            state = answer_checkout_question(
                runtime.database(), shopper(tracker), True, checkout_email(tracker), message_id=message_id
            )
            named = None
        else:
            named = named_channel(latest_text(tracker))
            state = subscribe_in_chat(runtime.database(), shopper(tracker), named, message_id=message_id)
        chat = state.chat and state.chat_reachable and named != ConsentChannel.EMAIL
        email = state.email and named != ConsentChannel.CHAT
        if not (chat or email):  # the web chat cannot be written to first, and there is no address to email
            dispatcher.utter_message(response="utter_subscribe_needs_email")
        else:
            dispatcher.utter_message(response="utter_subscribed", where=where(domain, chat, email))
        return [SlotSet("consent_question", None)]


class ActionUnsubscribe(ShopAction):
    """ "stop sending me offers" / "unsubscribe" / "stop", or the No button of the checkout's question."""

    action_name = "action_unsubscribe"

    def act(self, dispatcher, tracker, domain):
        message_id = shopper_message_id(tracker)
        if tracker.get_slot("consent_question"):
            answer_checkout_question(
                runtime.database(), shopper(tracker), False, checkout_email(tracker), message_id=message_id
            )
            dispatcher.utter_message(response="utter_consent_declined")
            return [SlotSet("consent_question", None)]
        named = named_channel(latest_text(tracker))
        settings = runtime.settings()
        state = unsubscribe_in_chat(
            runtime.database(), shopper(tracker), named, settings.shop_campaign_attribution_days, message_id=message_id
        )
        chat = named != ConsentChannel.EMAIL
        email = named != ConsentChannel.CHAT and bool(state.email_address)
        dispatcher.utter_message(response="utter_unsubscribed", where=where(domain, chat or not email, email))
        return [SlotSet("consent_question", None)]
