"""Checkout: delivery details (a form), the order summary, and placing the order on "yes"."""

from __future__ import annotations

import asyncio

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.cart_actions import CART_SLOTS, cart_lines_text, priced_cart
from actions.checkout_start import DETAIL_SLOTS, checkout_form_follows, say_too_many_open_orders, start_checkout
from actions.code_replies import say_refusal
from actions.common import (
    CONFIDENT,
    SMALL_TALK,
    ShopAction,
    is_interruption,
    latest_intent,
    latest_text,
    phrase,
    shopper,
    shopper_message_id,
    skips_empty,
    sounds_like_small_talk,
    sounds_like_yes_or_no,
)
from actions.consent_actions import where
from actions.payment_actions import how_to_pay
from checkout.carts import cart_fingerprint
from checkout.customers.identity import identify
from checkout.customers.validation import (
    clean_address,
    clean_email,
    clean_name,
    clean_phone,
)
from checkout.errors import CartEmpty, CheckoutError, NotEnoughStock
from checkout.marketing.consent import offer_consent_question
from checkout.orders.open_orders import TooManyOpenOrders
from checkout.orders.placement import CartChangedSinceSummary, DeliveryDetails, place_order_from_cart
from checkout.promotions.redemption import PromoCodeRefused

SKIPPED = "-"  # slot value for "no email, thanks"
NOT_A_NAME = {"affirm", "deny", "greet", "thank", "goodbye"}


class ActionStartCheckout(ShopAction):
    action_name = "action_start_checkout"

    def act(self, dispatcher, tracker, domain):
        return start_checkout(dispatcher, tracker, domain)


class ActionCheckoutAfterLine(ShopAction):
    """ "checkout" while a cart line waits for its colour, size or quantity: that question first, never
    dropped; the checkout starts as soon as the line is added (action_add_to_cart)."""

    action_name = "action_checkout_after_line"

    def act(self, dispatcher, tracker, domain):
        if tracker.get_slot("cart_product"):
            dispatcher.utter_message(response="utter_finish_line_first", product=tracker.get_slot("cart_product"))
            return [SlotSet("checkout_after_line", True)]
        # no product chosen yet: nothing is pending, so check out what the cart holds
        events = [
            ActiveLoop(None),
            *(SlotSet(s, None) for s in CART_SLOTS),
            *start_checkout(dispatcher, tracker, domain),
        ]
        return events + checkout_form_follows(events)


class ActionAskUseSavedDetails(ShopAction):
    action_name = "action_ask_use_saved_details"

    def act(self, dispatcher, tracker, domain):
        with runtime.database().transaction() as session:
            c = identify(session, shopper(tracker))
            details = "\n".join(filter(None, (c.name, c.phone, c.address, c.email)))
        dispatcher.utter_message(response="utter_ask_use_saved_details", details=details)
        return []


class ActionAskCustomerPhone(ShopAction):
    """The phone question; where the chat knows the shopper's number (WhatsApp), a button answers it with that."""

    action_name = "action_ask_customer_phone"

    def act(self, dispatcher, tracker, domain):
        phone = shopper(tracker).profile.get("phone")
        # The button sends the number as if typed, so it goes through the same check as a typed one.
        buttons = [{"title": phrase(domain, "phrase_use_this_number", phone=phone), "payload": phone}] if phone else []
        dispatcher.utter_message(response="utter_ask_customer_phone", buttons=buttons)
        return []


class ValidateCheckoutForm(FormValidationAction):
    def name(self) -> str:
        return "validate_checkout_form"

    async def extract_use_saved_details(self, dispatcher, tracker, domain) -> dict:
        if tracker.get_slot("requested_slot") != "use_saved_details":
            return {}
        answer = {"affirm": "yes", "deny": "no"}.get(latest_intent(tracker) or "")
        return {"use_saved_details": answer} if answer else {}

    def _requested_text(self, tracker: Tracker, slot: str) -> dict:
        if tracker.get_slot("requested_slot") != slot or is_interruption(tracker):
            return {}
        return {slot: latest_text(tracker)}

    async def extract_customer_name(self, dispatcher, tracker, domain) -> dict:
        return self._requested_text(tracker, "customer_name")

    async def extract_customer_phone(self, dispatcher, tracker, domain) -> dict:
        if tracker.get_slot("requested_slot") == "customer_phone" and clean_phone(latest_text(tracker)):
            return {"customer_phone": latest_text(tracker)}  # a number is an answer whatever NLU thought
        return self._requested_text(tracker, "customer_phone")

    async def extract_customer_address(self, dispatcher, tracker, domain) -> dict:
        return self._requested_text(tracker, "customer_address")

    async def extract_customer_email(self, dispatcher, tracker, domain) -> dict:
        if tracker.get_slot("requested_slot") != "customer_email":
            return {}
        if latest_intent(tracker) == "deny" and not clean_email(latest_text(tracker)):
            return {"customer_email": SKIPPED}
        return self._requested_text(tracker, "customer_email")

    @skips_empty
    async def validate_use_saved_details(self, value, dispatcher, tracker, domain) -> dict:
        if value != "yes":
            return {"use_saved_details": "no"}
        return await asyncio.to_thread(self._saved_details, tracker)

    def _saved_details(self, tracker) -> dict:
        with runtime.database().transaction() as session:
            c = identify(session, shopper(tracker))
            return {
                "use_saved_details": "yes",
                "customer_name": c.name,
                "customer_phone": c.phone,
                "customer_address": c.address,
                "customer_email": c.email or SKIPPED,
            }

    @skips_empty
    async def validate_customer_name(self, value, dispatcher, tracker, domain) -> dict:
        intent = (tracker.latest_message or {}).get("intent") or {}
        # "yes", "hi", "thanks" are answers, not names; "Sam Okafor" read as affirm is a name
        said_so = sounds_like_small_talk(value) if intent.get("name") in SMALL_TALK else sounds_like_yes_or_no(value)
        if intent.get("name") in NOT_A_NAME and (intent.get("confidence") or 0) >= CONFIDENT and said_so:
            value = ""
        return self._checked("customer_name", clean_name(value), "utter_invalid_name", dispatcher)

    @skips_empty
    async def validate_customer_phone(self, value, dispatcher, tracker, domain) -> dict:
        return self._checked("customer_phone", clean_phone(value), "utter_invalid_phone", dispatcher)

    @skips_empty
    async def validate_customer_address(self, value, dispatcher, tracker, domain) -> dict:
        return self._checked("customer_address", clean_address(value), "utter_invalid_address", dispatcher)

    @skips_empty
    async def validate_customer_email(self, value, dispatcher, tracker, domain) -> dict:
        if value == SKIPPED:
            return {"customer_email": SKIPPED}
        return self._checked("customer_email", clean_email(value), "utter_invalid_email", dispatcher)

    @staticmethod
    def _checked(slot: str, cleaned: str | None, response: str, dispatcher: CollectingDispatcher) -> dict:
        if cleaned is None:
            dispatcher.utter_message(response=response)
        return {slot: cleaned}


class ActionOrderSummary(ShopAction):
    """After the form: what will be ordered, at catalog prices, and a yes/no."""

    action_name = "action_order_summary"

    def act(self, dispatcher, tracker, domain):
        with runtime.database().transaction() as session:
            cart = priced_cart(session, tracker)
        return show_summary(dispatcher, tracker, cart, domain)  # after the commit: it may record the question


def show_summary(dispatcher: CollectingDispatcher, tracker: Tracker, cart, domain: dict) -> list:
    if cart.is_empty:
        dispatcher.utter_message(response="utter_cart_empty")
        return [SlotSet("pending_confirmation", None)]
    email = tracker.get_slot("customer_email")
    asked = offer_consent_question(
        runtime.database(),
        shopper(tracker),
        None if email in (None, SKIPPED) else email,
        message_id=shopper_message_id(tracker),
    )
    if asked is not None:  # once per customer, before their first summary; its buttons answer it (or nothing does)
        dispatcher.utter_message(
            response="utter_ask_marketing_consent", where=where(domain, asked.chat_reachable, asked.email_reachable)
        )
    dispatcher.utter_message(
        response="utter_order_summary",
        lines=cart_lines_text(cart, runtime.settings().delivery_fees),
        total=cart.total.display(),
        name=tracker.get_slot("customer_name"),
        phone=tracker.get_slot("customer_phone"),
        address=tracker.get_slot("customer_address"),
    )
    return [SlotSet("pending_confirmation", f"place_order:{cart_fingerprint(cart)}")] + (
        [SlotSet("consent_question", True)] if asked is not None else []
    )


def place_confirmed_order(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, expected_cart: str) -> list:
    identity = shopper(tracker)
    email = tracker.get_slot("customer_email")
    details = DeliveryDetails(
        name=tracker.get_slot("customer_name") or "",
        phone=tracker.get_slot("customer_phone") or "",
        address=tracker.get_slot("customer_address") or "",
        email=None if email in (None, SKIPPED) else email,
    )
    if not (details.name and details.phone and details.address):
        dispatcher.utter_message(response="utter_nothing_pending")
        return []
    try:
        placed = place_order_from_cart(
            runtime.database(),
            runtime.settings(),
            identity,
            details,
            expected_cart,
            message_id=shopper_message_id(tracker),
        )
    except CartChangedSinceSummary as changed:
        dispatcher.utter_message(response="utter_cart_changed_since_summary")
        return show_summary(dispatcher, tracker, changed.cart, domain)
    except CartEmpty:
        dispatcher.utter_message(response="utter_cart_empty")
        return []
    except NotEnoughStock as exc:
        dispatcher.utter_message(
            response="utter_checkout_stock_changed", product=exc.name or exc.sku, available=exc.available
        )
        return []
    except TooManyOpenOrders as refused:  # nothing ordered; the cart is kept for when one is paid or cancelled
        say_too_many_open_orders(dispatcher, domain, refused, identity.channel)
        return []
    except PromoCodeRefused as refused:
        # Used up or expired since the summary: the reason, and the summary stays pending, so removing the code
        # or giving another shows it again with the new total.
        say_refusal(dispatcher, domain, refused.code, refused.refused)
        dispatcher.utter_message(response="utter_order_code_refused")
        return [SlotSet("pending_confirmation", f"place_order:{expected_cart}")]
    except CheckoutError as exc:
        dispatcher.utter_message(response="utter_checkout_problem", reason=str(exc))
        return []
    number, total = placed.number, placed.total.display()
    payment, buttons = how_to_pay(domain, number, total, placed.payment) if placed.payment else ("", [])
    dispatcher.utter_message(
        response="utter_order_placed", number=number, total=total, name=details.name, payment=payment, buttons=buttons
    )
    return [SlotSet(s, None) for s in DETAIL_SLOTS]
