"""The shopper's own orders: status, cancelling, and what a yes/no answers."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions import runtime
from actions.checkout_actions import place_confirmed_order
from actions.common import ShopAction, entity, latest_intent, latest_text, phrase, price, shopper, shopper_message_id
from actions.payment_actions import method_buttons
from checkout.customers.identity import identify
from checkout.errors import InvalidTransition
from checkout.orders.cancellation import cancel_own_order
from checkout.orders.lifecycle import customer_order, customer_orders
from checkout.orders.numbers import normalize_order_number
from checkout.orders.seller_actions import OrderNotFound
from checkout.statuses import OrderStatus

SHOWN_ORDERS = 5


def typed_order_number(tracker) -> str | None:
    value = entity(tracker, "order_number")
    if value:
        return normalize_order_number(value)
    for word in latest_text(tracker).split():
        number = normalize_order_number(word)
        if number and any(ch.isdigit() for ch in number):  # a six-letter word is not an order number
            return number
    return None


def order_line(domain, order) -> str:
    return (
        f"• {order.number} ({order.created_at:%d %b}): {phrase(domain, 'phrase_status_' + order.status)}"
        f" — {price(order.total_minor, order.currency)}"
    )


def own_order(session, dispatcher, customer, number: str):
    """The order with this number only if it is this shopper's: a number typed by someone else finds
    nothing (and is told so, without saying whether it exists)."""
    order = customer_order(session, customer.id, number)
    if order is None:
        dispatcher.utter_message(response="utter_order_not_found", number=number)
    return order


class ActionOrderStatus(ShopAction):
    action_name = "action_order_status"

    def act(self, dispatcher, tracker, domain):
        number = typed_order_number(tracker)
        with runtime.database().transaction() as session:
            customer = identify(session, shopper(tracker))
            if number:
                order = own_order(session, dispatcher, customer, number)
                if order is None:
                    return []
                items = ", ".join(f"{i.quantity} × {i.name}" for i in order.items)
                # An order still waiting for payment comes with the ways to pay it (again, after a failed try).
                buttons = (
                    method_buttons(shopper(tracker).channel, order.number)
                    if order.status == OrderStatus.AWAITING_PAYMENT
                    else []
                )
                dispatcher.utter_message(
                    response="utter_order_status_one",
                    number=order.number,
                    date=f"{order.created_at:%d %b %Y}",
                    status=phrase(domain, "phrase_status_" + order.status),
                    items=items,
                    total=price(order.total_minor, order.currency),
                    buttons=buttons,
                )
                return []
            orders = customer_orders(session, customer.id, SHOWN_ORDERS)
            if not orders:
                dispatcher.utter_message(response="utter_no_orders")
            else:
                dispatcher.utter_message(
                    response="utter_order_status_list", orders="\n".join(order_line(domain, o) for o in orders)
                )
        return []


class ActionCancelOrder(ShopAction):
    """Asks to confirm cancelling an unpaid order of the shopper's; paid orders go to the seller."""

    action_name = "action_cancel_order"

    def act(self, dispatcher, tracker, domain):
        number = typed_order_number(tracker)
        with runtime.database().transaction() as session:
            customer = identify(session, shopper(tracker))
            if number:
                order = own_order(session, dispatcher, customer, number)
                if order is None:
                    return []
            else:
                mine = customer_orders(session, customer.id, SHOWN_ORDERS)
                order = next((o for o in mine if o.status == OrderStatus.AWAITING_PAYMENT), None)
                if order is None:
                    dispatcher.utter_message(response="utter_nothing_to_cancel")
                    return []
            if order.status != OrderStatus.AWAITING_PAYMENT:
                dispatcher.utter_message(
                    response="utter_cannot_cancel",
                    number=order.number,
                    status=phrase(domain, "phrase_status_" + order.status),
                )
                return []
            dispatcher.utter_message(
                response="utter_confirm_cancel", number=order.number, total=price(order.total_minor, order.currency)
            )
            return [SlotSet("pending_confirmation", f"cancel_order:{order.number}")]


def cancel_confirmed_order(dispatcher, tracker, domain, number: str) -> None:
    try:
        cancel_own_order(  # the reply says so
            runtime.database(), runtime.settings(), shopper(tracker), number, message_id=shopper_message_id(tracker)
        )
    except OrderNotFound:
        dispatcher.utter_message(response="utter_order_not_found", number=number)
    except InvalidTransition as refused:
        dispatcher.utter_message(
            response="utter_cannot_cancel",
            number=refused.number,
            status=phrase(domain, "phrase_status_" + refused.status),
        )
    else:
        dispatcher.utter_message(response="utter_order_cancelled", number=number)


class ActionResolveConfirmation(ShopAction):
    """A yes or no: to the order summary, to a cancellation question, or to nothing at all."""

    action_name = "action_resolve_confirmation"

    def act(self, dispatcher, tracker, domain):
        pending = tracker.get_slot("pending_confirmation") or ""
        if not latest_text(tracker).strip():
            # NLU labels an empty message too (often "affirm"); silence never confirms an order.
            dispatcher.utter_message(response="utter_default")
            return []
        yes = latest_intent(tracker) == "affirm"
        # The summary's question about offers is past too: a later "send me offers" is the chat's, not the checkout's.
        events = [SlotSet("pending_confirmation", None), SlotSet("consent_question", None)]
        if pending.startswith("place_order:"):
            if yes:
                return events + place_confirmed_order(dispatcher, tracker, domain, pending.split(":", 1)[1])
            dispatcher.utter_message(response="utter_order_not_placed")
        elif pending.startswith("cancel_order:"):
            number = pending.split(":", 1)[1]
            if yes:
                cancel_confirmed_order(dispatcher, tracker, domain, number)
            else:
                dispatcher.utter_message(response="utter_order_kept", number=number)
        else:
            dispatcher.utter_message(response="utter_nothing_pending")
        return events
