"""Starting the checkout form: from "checkout", or once a line pending when the shopper said it is added."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.common import button, phrase, shopper
from checkout.carts import view_cart
from checkout.customers.identity import identify
from checkout.orders.open_orders import TooManyOpenOrders, check_open_orders
from checkout.payments.choice import choose_payload
from checkout.payments.registry import offered_methods

DETAIL_SLOTS = ("use_saved_details", "customer_name", "customer_phone", "customer_address", "customer_email")


def start_checkout(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
    """Events that start the checkout form, or say why not (an empty cart, too many orders awaiting payment)."""
    settings = runtime.settings()
    with runtime.database().transaction() as session:
        customer = identify(session, shopper(tracker))
        if view_cart(session, customer, settings.shop_currency).is_empty:
            dispatcher.utter_message(response="utter_cart_empty")
            return [ActiveLoop(None), SlotSet("checkout_form_needed", False)]
        try:  # said now, not after the details are typed (placing the order checks again)
            check_open_orders(session, customer, settings.shop_max_open_orders)
        except TooManyOpenOrders as refused:
            say_too_many_open_orders(dispatcher, domain, refused, shopper(tracker).channel)
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


def say_too_many_open_orders(
    dispatcher: CollectingDispatcher, domain: dict, refused: TooManyOpenOrders, channel: str
) -> None:
    """The open orders, each with a button to pay it (the method's step when one is offered, else the order with
    its methods) and one to cancel it."""
    methods = offered_methods(runtime.settings(), channel)
    lines, buttons = [], []
    for order in refused.orders:
        deadline = f"{order.due_at:%d %b %H:%M} UTC" if order.due_at else "-"
        lines.append(
            phrase(
                domain, "phrase_open_order_line", number=order.number, total=order.total.display(), deadline=deadline
            )
        )
        pay_title = phrase(domain, "phrase_pay_order_button", number=order.number)
        buttons.append(
            {"title": pay_title, "payload": choose_payload(methods[0], order.number)}
            if len(methods) == 1
            else button(pay_title, "order_status", order_number=order.number)
        )
        buttons.append(
            button(
                phrase(domain, "phrase_cancel_order_button", number=order.number),
                "cancel_order",
                order_number=order.number,
            )
        )
    dispatcher.utter_message(
        response="utter_too_many_open_orders", count=len(refused.orders), orders="\n".join(lines), buttons=buttons
    )
