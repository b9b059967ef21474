"""A promo code given or dropped in the chat, at any point: with items in the cart, inside a form (the form resumes
after, by data/rules.yml), or at the order summary (shown again with the new total)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.cart_actions import cart_lines_text, cart_state
from actions.checkout_actions import show_summary
from actions.code_replies import effect, say_refusal
from actions.common import ShopAction, entity, latest_text, shopper, shopper_message_id
from checkout.carts import CartView
from checkout.promotions.cart_codes import NoCodeGiven, apply_code_to_cart, remove_code_from_cart


def at_summary(tracker: Tracker) -> bool:
    """The order summary is the last thing shown and waits for its yes/no."""
    pending = tracker.get_slot("pending_confirmation") or ""
    return pending.startswith("place_order") and not tracker.active_loop_name


def show_new_total(dispatcher: CollectingDispatcher, tracker: Tracker, cart: CartView, domain: dict) -> list:
    """At the summary, the summary again (its "yes" now places the order at this total); elsewhere the cart."""
    if at_summary(tracker):
        return show_summary(dispatcher, tracker, cart, domain)
    if not cart.is_empty:
        dispatcher.utter_message(
            response="utter_cart_contents",
            lines=cart_lines_text(cart, runtime.settings().delivery_fees),
            total=cart.total.display(),
        )
    return []


class ActionApplyDiscount(ShopAction):
    action_name = "action_apply_discount"

    def act(self, dispatcher, tracker, domain):
        try:
            outcome = apply_code_to_cart(
                runtime.database(),
                runtime.settings(),
                shopper(tracker),
                entity(tracker, "discount_code"),
                latest_text(tracker),
            )
        except NoCodeGiven:
            dispatcher.utter_message(response="utter_ask_discount_code")
            return []
        cart = outcome.cart
        if outcome.refused is not None:
            say_refusal(dispatcher, domain, outcome.code, outcome.refused, outcome.terms, cart)
            return []
        assert outcome.terms is not None  # a code that applies is a stored one
        what = effect(domain, outcome.terms, cart.currency)
        if cart.is_empty:
            dispatcher.utter_message(response="utter_discount_saved", code=outcome.code, effect=what)
            return []
        dispatcher.utter_message(response="utter_discount_applied", code=outcome.code, effect=what)
        return show_new_total(dispatcher, tracker, cart, domain)


class ActionRemoveDiscount(ShopAction):
    action_name = "action_remove_discount"

    def act(self, dispatcher, tracker, domain):
        removed = remove_code_from_cart(
            runtime.database(), runtime.settings(), shopper(tracker), message_id=shopper_message_id(tracker)
        )
        if removed is None:
            dispatcher.utter_message(response="utter_no_discount_to_remove")
            return []
        if at_summary(tracker):
            dispatcher.utter_message(response="utter_discount_removed", code=removed.code, cart_state="")
            return show_summary(dispatcher, tracker, removed.cart, domain)
        dispatcher.utter_message(
            response="utter_discount_removed", code=removed.code, cart_state=cart_state(domain, removed.cart)
        )
        return []
