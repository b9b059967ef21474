"""Paying a placed order: the choice between methods (buttons), and starting the chosen provider's payment
(checkout.payments.starting)."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.common import ShopAction, entity, phrase, shopper
from checkout.errors import InvalidTransition
from checkout.orders.numbers import normalize_order_number
from checkout.orders.seller_actions import OrderNotFound
from checkout.payments.choice import payment_buttons
from checkout.payments.registry import offered_methods
from checkout.payments.starting import PaymentOffer, start_order_payment


def method_buttons(channel: str, number: str) -> list[dict]:
    return payment_buttons(offered_methods(runtime.settings(), channel), number)


def how_to_pay(domain: dict, number: str, total: str, offer: PaymentOffer) -> tuple[str, list]:
    """Text and buttons telling the shopper how to pay order `number`: the choice between methods, or the
    started method's step."""
    if offer.unavailable:
        return phrase(domain, "phrase_payment_unavailable", number=number), payment_buttons(offer.methods, number)
    step = offer.step
    if step is None:
        return phrase(domain, "phrase_choose_payment"), payment_buttons(offer.methods, number)
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
        try:
            started = start_order_payment(runtime.database(), runtime.settings(), shopper(tracker), number, method)
        except OrderNotFound:  # someone else's number, or none at all: said the same way
            dispatcher.utter_message(response="utter_order_not_found", number=number)
            return []
        except InvalidTransition as exc:
            dispatcher.utter_message(
                response="utter_nothing_to_pay", number=number, status=phrase(domain, "phrase_status_" + exc.status)
            )
            return []
        text, buttons = how_to_pay(domain, started.number, started.total.display(), started.offer)
        if method == "manual" and started.offer.step is not None:
            # Chosen among several methods, the instructions come alone: the amount first says what to transfer.
            text = f"{started.total.display()}: {text}"
        dispatcher.utter_message(response="utter_payment_step", payment=text, buttons=buttons)
        return []
