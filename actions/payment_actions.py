"""Paying a placed order: the choice between methods (buttons), and starting the chosen provider's payment.

The amount is never taken from the conversation: providers read the order's snapshot of catalog prices."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.common import ShopAction, entity, phrase, price, shopper
from actions.runtime import database, settings
from checkout.customers.identity import identify
from checkout.errors import InvalidTransition, PaymentUnavailable
from checkout.orders.lifecycle import customer_order
from checkout.orders.numbers import normalize_order_number
from checkout.payments.choice import payment_buttons
from checkout.payments.registry import offered_methods, offered_provider
from checkout.statuses import OrderStatus


def method_buttons(channel: str, number: str) -> list[dict]:
    return payment_buttons(offered_methods(settings(), channel), number)


def how_to_pay(domain: dict, channel: str, number: str, total: str, method: str | None = None) -> tuple[str, list]:
    """Text and buttons telling the shopper how to pay order `number`: the choice when several methods are
    offered and none is chosen, otherwise the chosen (or only) method's step. Raises InvalidTransition when
    the order no longer awaits payment."""
    methods = offered_methods(settings(), channel)
    if method is None and len(methods) > 1:
        return phrase(domain, "phrase_choose_payment"), method_buttons(channel, number)
    provider = offered_provider(settings(), channel, method or methods[0])
    if provider is None:  # a button from before the seller changed the methods
        return phrase(domain, "phrase_choose_payment"), method_buttons(channel, number)
    try:
        step = provider.start_payment(database(), number)
    except PaymentUnavailable:
        return phrase(domain, "phrase_payment_unavailable", number=number), method_buttons(channel, number)
    if step.url:
        until = f"{step.expires_at:%H:%M} UTC" if step.expires_at else ""
        return (
            phrase(domain, "phrase_pay_by_link", total=total, until=until),
            [{"title": phrase(domain, "phrase_pay_now_button"), "url": step.url, "type": "web_url"}],
        )
    return step.instructions, []


class ActionStartPayment(ShopAction):
    """A payment button was pressed: `payment_method` and `order_number` come from its payload."""

    action_name = "action_start_payment"

    def act(self, dispatcher: CollectingDispatcher, tracker, domain):
        method = entity(tracker, "payment_method")
        number = normalize_order_number(entity(tracker, "order_number") or "")
        if not method or not number:
            dispatcher.utter_message(response="utter_payment_choice_unclear")
            return []
        identity = shopper(tracker)
        with database().transaction() as session:
            order = customer_order(session, identify(session, identity).id, number)
            if order is None:  # someone else's number, or none at all: said the same way
                dispatcher.utter_message(response="utter_order_not_found", number=number)
                return []
            status, total = order.status, price(order.total_minor, order.currency)
        try:
            if status != OrderStatus.AWAITING_PAYMENT:
                raise InvalidTransition(number, status, OrderStatus.PAID)
            text, buttons = how_to_pay(domain, identity.channel, number, total, method)
        except InvalidTransition as exc:
            dispatcher.utter_message(
                response="utter_nothing_to_pay", number=number, status=phrase(domain, "phrase_status_" + exc.status)
            )
            return []
        dispatcher.utter_message(response="utter_payment_step", payment=text, buttons=buttons)
        return []
