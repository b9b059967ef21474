"""Starting the checkout form: from "checkout", or once a line pending when the shopper said it is added."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.common import shopper
from checkout.carts import view_cart
from checkout.customers.identity import identify

DETAIL_SLOTS = ("use_saved_details", "customer_name", "customer_phone", "customer_address", "customer_email")


def start_checkout(dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
    """Events that start the checkout form, or say why not (an empty cart)."""
    with runtime.database().transaction() as session:
        customer = identify(session, shopper(tracker))
        if view_cart(session, customer, runtime.settings().shop_currency).is_empty:
            dispatcher.utter_message(response="utter_cart_empty")
            return [ActiveLoop(None), SlotSet("checkout_form_needed", False)]
        returning = all((customer.name, customer.phone, customer.address))
    # A returning customer is asked to confirm the saved details; a new one goes straight to the name.
    return (
        [ActiveLoop(None)]
        + [SlotSet(s, None) for s in DETAIL_SLOTS]
        + [SlotSet("pending_confirmation", None)]
        + ([] if returning else [SlotSet("use_saved_details", "no")])
        + [SlotSet("checkout_form_needed", True)]
    )


def checkout_form_follows(events: list) -> list:
    """A FollowupAction that runs the checkout form when `events` say it is needed: for checkouts started by
    another action than the one the "checkout" rules expect."""
    needed = any(
        e.get("event") == "slot" and e.get("name") == "checkout_form_needed" and e.get("value") for e in events
    )
    return [FollowupAction("checkout_form")] if needed else []
