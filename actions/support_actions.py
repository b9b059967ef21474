"""Shop questions answered from the settings, the human seller, and leaving a form."""

from __future__ import annotations

from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet

from actions import runtime
from actions.cart_actions import reset_cart_slots
from actions.checkout_actions import DETAIL_SLOTS
from actions.common import ShopAction, latest_intent, phrase, shopper
from checkout.handoff import ask_for_a_person
from checkout.payments.registry import available_providers


class ActionShopInfo(ShopAction):
    """Shipping, payment methods and returns, as the seller configured them."""

    action_name = "action_shop_info"

    def act(self, dispatcher, tracker, domain):
        s = runtime.settings()
        intent = latest_intent(tracker)
        if intent == "ask_payment_methods":
            providers = available_providers(s, shopper(tracker).channel)
            methods = ", ".join(phrase(domain, f"phrase_method_{p.name}") for p in providers)
            info = s.shop_payment_instructions if any(p.name == "manual" for p in providers) else ""
            dispatcher.utter_message(response="utter_payment_methods", methods=methods, info=info)
        elif intent == "ask_returns":
            dispatcher.utter_message(response="utter_returns", info=s.shop_returns_info)
        else:
            dispatcher.utter_message(response="utter_shipping", info=s.shop_shipping_info)
        return []


class ActionHumanHandoff(ShopAction):
    """Records the request and pauses the assistant in this conversation until the seller hands it back."""

    action_name = "action_human_handoff"

    def act(self, dispatcher, tracker, domain):
        ask_for_a_person(runtime.database(), shopper(tracker))
        dispatcher.utter_message(response="utter_handoff")
        return [ActiveLoop(None), SlotSet("requested_slot", None), ConversationPaused()]


class ActionStopForm(ShopAction):
    """'never mind' in the middle of a form: stop asking, keep the cart."""

    action_name = "action_stop_form"

    def act(self, dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_form_stopped")
        # A summary shown before is void too: a later "yes" must not order without delivery details.
        return (
            [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("pending_confirmation", None)]
            + reset_cart_slots()
            + [SlotSet(s, None) for s in DETAIL_SLOTS]
        )
