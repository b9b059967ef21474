"""Checkout in chat: the delivery-details form, the order summary, and placing the order on "yes"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.cart_actions import ActionRemoveFromCart
from actions.checkout_actions import (
    ActionAskUseSavedDetails,
    ActionStartCheckout,
    ValidateCheckoutForm,
)
from actions.order_actions import ActionResolveConfirmation
from actions.support_actions import ActionStopForm
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import Customer, Order, Payment
from checkout.orders.numbers import PATTERN
from tests.unit.actions.action_harness import (
    DETAILS,
    PAYMENT_INSTRUCTIONS,
    confirm,
    form_turn_tracker,
    render,
    responses,
    run,
    slot_sets,
    summary,
    tracker,
    use_settings,
)

DETAIL_SLOTS = ("use_saved_details", "customer_name", "customer_phone", "customer_address", "customer_email")


def save_customer(shop, sender="web-ana", **fields) -> None:
    with shop.db.transaction() as session:
        customer = identify(session, ShopperIdentity("rest", sender, sender))
        for key, value in fields.items():
            setattr(customer, key, value)


# --- starting checkout ---------------------------------------------------------------------------------------------


def test_checkout_with_an_empty_cart(shop):
    messages, events = run(ActionStartCheckout(), tracker(text="checkout", intent="checkout"))
    assert responses(messages) == ["utter_cart_empty"]
    assert events[0] == {"event": "active_loop", "name": None, "timestamp": None}
    assert slot_sets(events).get("checkout_form_needed") is not True


def test_a_new_customer_goes_straight_to_the_name(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    messages, events = run(
        ActionStartCheckout(),
        tracker(text="checkout", intent="checkout", slots={**DETAILS, "pending_confirmation": "place_order:x"}),
    )
    assert messages == []
    slots = slot_sets(events)
    assert slots["use_saved_details"] == "no"  # nothing saved to offer
    assert all(slots[s] is None for s in DETAIL_SLOTS[1:])  # details of an earlier checkout are asked again
    assert slots["pending_confirmation"] is None
    assert slots["checkout_form_needed"] is True


def test_a_returning_customer_is_offered_the_saved_details(shop):
    save_customer(
        shop, name="Ana Silva", phone="+351912345678", address="Rua Augusta 1, 1100-048 Lisboa", email="ana@example.com"
    )
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    messages, events = run(ActionStartCheckout(), tracker(text="checkout", intent="checkout"))
    slots = slot_sets(events)
    assert slots["use_saved_details"] is None  # so the form asks it
    assert slots["checkout_form_needed"] is True
    messages, _ = run(ActionAskUseSavedDetails(), tracker(slots={"requested_slot": "use_saved_details"}))
    assert responses(messages) == ["utter_ask_use_saved_details"]
    assert messages[0]["details"] == "Ana Silva\n+351912345678\nRua Augusta 1, 1100-048 Lisboa\nana@example.com"


# --- the details form ----------------------------------------------------------------------------------------------


def answer(
    requested: str,
    text: str,
    intent: str = "inform",
    slots: dict | None = None,
    confidence: float = 0.97,
    sender: str = "web-ana",
):
    return run(
        ValidateCheckoutForm(),
        form_turn_tracker(
            "checkout_form",
            requested,
            text,
            intent,
            None,
            {"use_saved_details": "no", **(slots or {})},
            sender=sender,
            confidence=confidence,
        ),
    )


def test_saying_yes_to_the_saved_details_fills_them(shop):
    save_customer(shop, name="Ana Silva", phone="+351912345678", address="Rua Augusta 1, 1100-048 Lisboa")
    messages, events = run(
        ValidateCheckoutForm(), form_turn_tracker("checkout_form", "use_saved_details", "yes", "affirm")
    )
    assert messages == []
    assert slot_sets(events) == {
        "use_saved_details": "yes",
        "customer_name": "Ana Silva",
        "customer_phone": "+351912345678",
        "customer_address": "Rua Augusta 1, 1100-048 Lisboa",
        "customer_email": "-",
    }  # no email saved: skipped, not asked again


def test_saying_no_to_the_saved_details_asks_for_new_ones(shop):
    save_customer(shop, name="Ana Silva", phone="+351912345678", address="Rua Augusta 1, 1100-048 Lisboa")
    messages, events = run(
        ValidateCheckoutForm(), form_turn_tracker("checkout_form", "use_saved_details", "no, new address", "deny")
    )
    assert slot_sets(events) == {"use_saved_details": "no"}


def test_a_name_is_accepted_in_any_script(shop):
    for name in ("Zoë Müller-Lefèvre", "李小龙", "Nguyễn Văn An"):
        messages, events = answer("customer_name", name)
        assert messages == [] and slot_sets(events) == {"customer_name": name}


def test_a_bad_name_is_asked_again(shop):
    messages, events = answer("customer_name", "R2D2")
    assert responses(messages) == ["utter_invalid_name"]
    assert slot_sets(events) == {"customer_name": None}


def test_yes_is_not_a_name(shop):
    messages, events = answer("customer_name", "yes", intent="affirm")
    assert responses(messages) == ["utter_invalid_name"]
    assert slot_sets(events) == {"customer_name": None}


@pytest.mark.parametrize("intent", ["thank", "greet", "goodbye"])
def test_an_unusual_name_the_model_took_for_small_talk_is_still_a_name(shop, intent):
    messages, events = answer("customer_name", "Quintessa Marchbanks", intent=intent, confidence=0.93)
    assert messages == [] and slot_sets(events) == {"customer_name": "Quintessa Marchbanks"}


@pytest.mark.parametrize(("text", "intent"), [("thanks!", "thank"), ("hello there", "greet"), ("ok bye", "goodbye")])
def test_real_small_talk_in_the_name_question_is_not_a_name(shop, text, intent):
    messages, events = answer("customer_name", text, intent=intent)
    assert "customer_name" not in slot_sets(events) or slot_sets(events)["customer_name"] is None


def test_a_bad_phone_is_asked_again_with_an_example(shop):
    messages, events = answer("customer_phone", "12345")
    assert responses(messages) == ["utter_invalid_phone"]
    assert "+33 6 12 34 56 78" in render(messages[0])
    assert slot_sets(events) == {"customer_phone": None}


def test_a_phone_is_accepted_whatever_nlu_thought_it_was(shop):
    messages, events = answer("customer_phone", "+33 6 12 34 56 78", intent="order_status")
    assert messages == [] and slot_sets(events) == {"customer_phone": "+33612345678"}
    messages, events = answer("customer_phone", "0049 151 2345678")
    assert slot_sets(events) == {"customer_phone": "+491512345678"}


def test_an_address(shop):
    messages, events = answer("customer_address", "  Hauptstraße 5,\n 10115 Berlin ")
    assert messages == [] and slot_sets(events) == {"customer_address": "Hauptstraße 5, 10115 Berlin"}
    messages, events = answer("customer_address", "paris")
    assert responses(messages) == ["utter_invalid_address"] and slot_sets(events) == {"customer_address": None}


def test_no_to_the_email_skips_it(shop):
    messages, events = answer("customer_email", "no thanks", intent="deny")
    assert messages == []
    assert slot_sets(events) == {"customer_email": "-"}


def test_an_email_is_checked(shop):
    messages, events = answer("customer_email", "Zoe@Example.com")
    assert slot_sets(events) == {"customer_email": "zoe@example.com"}
    messages, events = answer("customer_email", "zoe at example")
    assert responses(messages) == ["utter_invalid_email"] and slot_sets(events) == {"customer_email": None}


def test_a_question_in_the_middle_of_the_form_fills_nothing(shop):
    messages, events = answer("customer_address", "how much is the zip hoodie", intent="product_info")
    assert messages == [] and slot_sets(events) == {}


# --- summary and confirmation --------------------------------------------------------------------------------------


def test_the_summary_shows_items_catalog_prices_and_details(shop):
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1), ("TEE-LOGO-BLK-M", 2)])
    messages, pending = summary()
    # a new customer's first summary comes after the question about offers (test_actions_consent.py)
    assert responses(messages) == ["utter_ask_marketing_consent", "utter_order_summary"]
    messages = messages[1:]
    message = messages[0]
    assert message["lines"] == "• 1 × Heavyweight Hoodie (black, M) — €59.00\n• 2 × Logo Tee (black, M) — €49.80"
    assert message["total"] == "€108.80"
    assert (message["name"], message["phone"], message["address"]) == (
        DETAILS["customer_name"],
        DETAILS["customer_phone"],
        DETAILS["customer_address"],
    )
    assert pending.startswith("place_order:")


def test_the_summary_adds_up_with_a_delivery_fee_and_the_order_charges_what_it_said(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_delivery_fee="4.90", shop_free_delivery_from="100")
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 2)])
    messages, pending = summary()
    assert messages[-1]["lines"] == "• 2 × Logo Tee (black, M) — €49.80\nSubtotal: €49.80\nDelivery: €4.90"
    assert messages[-1]["total"] == "€54.70"
    confirm(pending)
    [order] = shop.orders()
    assert (order.subtotal_minor, order.delivery_minor, order.total_minor) == (4980, 490, 5470)

    shop.fill_cart("web-bo", [("TEE-LOGO-BLK-M", 5)], channel="rest")  # above the free-delivery threshold
    messages, _ = summary(sender="web-bo")
    assert messages[-1]["lines"].endswith("Subtotal: €124.50\nDelivery: free")
    assert messages[-1]["total"] == "€124.50"


def test_the_summary_of_an_empty_cart(shop):
    messages, pending = summary()
    assert responses(messages) == ["utter_cart_empty"] and pending is None


def test_yes_places_the_order_at_catalog_prices_with_stock_reserved(shop):
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1), ("TEE-LOGO-BLK-M", 2), ("KEY-LTH-BRN", 1)])
    shop.set_variant("HOOD-HVY-BLK-M", price_minor=4900)  # repriced before the summary: the summary shows it
    _, pending = summary()
    messages, events = confirm(pending, text="yes but the hoodie for 1 euro")
    assert responses(messages) == ["utter_order_placed"]
    placed = messages[0]
    [order] = shop.orders()
    assert PATTERN.match(order.number) and placed["number"] == order.number
    assert [(i.sku, i.quantity, i.unit_price_minor, i.stock_reserved) for i in order.items] == [
        ("HOOD-HVY-BLK-M", 1, 4900, True),
        ("TEE-LOGO-BLK-M", 2, 2490, True),
        ("KEY-LTH-BRN", 1, 650, False),
    ]
    assert (order.total_minor, order.status, order.currency) == (4900 + 2 * 2490 + 650, "awaiting_payment", "EUR")
    assert (order.customer_name, order.customer_phone, order.customer_address, order.customer_email) == (
        DETAILS["customer_name"],
        DETAILS["customer_phone"],
        DETAILS["customer_address"],
        DETAILS["customer_email"],
    )
    assert (order.sender_id, order.channel) == ("web-ana", "rest")
    assert (placed["total"], placed["name"], placed["payment"]) == (
        "€105.30",
        DETAILS["customer_name"],
        PAYMENT_INSTRUCTIONS,
    )
    assert PAYMENT_INSTRUCTIONS in render(placed)
    assert (shop.stock("HOOD-HVY-BLK-M"), shop.stock("TEE-LOGO-BLK-M"), shop.stock("KEY-LTH-BRN")) == (9, 18, None)
    assert [(p.method, p.status, p.amount_minor, p.reference) for p in order.payments] == [
        ("manual", "pending", order.total_minor, order.number)
    ]
    assert shop.cart("web-ana") == []
    slots = slot_sets(events)
    assert slots["pending_confirmation"] is None and all(slots[s] is None for s in DETAIL_SLOTS)
    with shop.db.transaction() as session:
        customer = session.scalar(select(Customer).where(Customer.channel_user_id == "web-ana"))
        assert (customer.name, customer.phone, customer.address) == (
            DETAILS["customer_name"],
            DETAILS["customer_phone"],
            DETAILS["customer_address"],
        )


def test_a_skipped_email_is_not_stored(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    _, pending = summary(slots={"customer_email": "-"})
    messages, _ = confirm(pending, slots={"customer_email": "-"})
    assert responses(messages) == ["utter_order_placed"]
    assert shop.orders()[0].customer_email is None


def test_no_creates_nothing_and_keeps_the_cart(shop):
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1)])
    _, pending = summary()
    messages, events = confirm(pending, intent="deny", text="no")
    assert responses(messages) == ["utter_order_not_placed"]
    assert shop.orders() == []
    assert shop.cart("web-ana") == [("HOOD-HVY-BLK-M", 1)]
    assert shop.stock("HOOD-HVY-BLK-M") == 10
    assert slot_sets(events) == {"pending_confirmation": None, "consent_question": None}


def test_a_cart_changed_after_the_summary_is_shown_again_not_ordered(shop):
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1)])
    _, pending = summary()
    shop.fill_cart("web-ana", [("STK-PACK", 3)])  # e.g. from another device
    messages, events = confirm(pending)
    assert responses(messages) == ["utter_cart_changed_since_summary", "utter_order_summary"]
    assert "• 3 × Sticker Pack — €13.50" in messages[1]["lines"] and messages[1]["total"] == "€72.50"
    assert shop.orders() == []
    fresh = slot_sets(events)["pending_confirmation"]
    assert fresh.startswith("place_order:") and fresh != pending
    messages, _ = confirm(fresh)  # "yes" to the summary shown again
    assert responses(messages) == ["utter_order_placed"]
    assert [(i.sku, i.quantity) for i in shop.orders()[0].items] == [("HOOD-HVY-BLK-M", 1), ("STK-PACK", 3)]


def test_a_price_changed_after_the_summary_is_shown_again_not_ordered(shop):
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1)])
    _, pending = summary()
    shop.set_variant("HOOD-HVY-BLK-M", price_minor=6900)
    messages, _ = confirm(pending)
    assert responses(messages)[0] == "utter_cart_changed_since_summary"
    assert shop.orders() == []


def test_stock_sold_out_after_the_summary_places_nothing(shop):
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 1), ("HOOD-ZIP-NVY-L", 1)])
    _, pending = summary()
    shop.set_variant("HOOD-ZIP-NVY-L", stock=0)  # the last one went to someone else
    messages, _ = confirm(pending)
    assert responses(messages) == ["utter_checkout_stock_changed"]
    assert (messages[0]["product"], messages[0]["available"]) == ("Zip Hoodie", 0)
    assert shop.orders() == []
    assert shop.stock("TEE-LOGO-BLK-M") == 20  # nothing stays reserved
    assert shop.cart("web-ana") == [("TEE-LOGO-BLK-M", 1), ("HOOD-ZIP-NVY-L", 1)]


def test_yes_with_an_emptied_cart(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    _, pending = summary()
    run(ActionRemoveFromCart(), tracker(text="remove it", intent="remove_from_cart"))
    messages, _ = confirm(pending)
    assert responses(messages) == ["utter_cart_empty"]
    assert shop.orders() == []


def test_yes_with_nothing_pending(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    messages, events = confirm(None)
    assert responses(messages) == ["utter_nothing_pending"]
    assert shop.orders() == [] and slot_sets(events) == {"pending_confirmation": None, "consent_question": None}


def test_a_second_yes_does_not_order_twice(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    _, pending = summary()
    confirm(pending)
    messages, _ = confirm(pending)  # a retried action, a double tap on the button
    assert "utter_order_placed" not in responses(messages)
    assert len(shop.orders()) == 1
    assert shop.count(Payment) == 1


def test_one_shoppers_yes_never_orders_another_shoppers_cart(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    shop.fill_cart("web-ben", [("CAP-DAD-BEI", 1)])
    _, pending = summary("web-ana")
    messages, _ = confirm(pending, sender="web-ben")
    assert "utter_order_placed" not in responses(messages)
    assert shop.count(Order) == 0


def test_a_yes_after_the_details_were_dropped_never_orders_without_details(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    _, pending = summary()
    # "wait, add a cap" -> the add_to_cart form -> "no, never mind": the form is stopped
    _, stopped = run(
        ActionStopForm(),
        tracker(
            text="no never mind",
            intent="deny",
            active_loop="add_to_cart_form",
            slots={**DETAILS, "pending_confirmation": pending},
        ),
    )
    slots = {**DETAILS, "pending_confirmation": pending, **slot_sets(stopped)}
    run(ActionResolveConfirmation(), tracker(text="ok yes", intent="affirm", slots=slots))
    assert all(o.customer_name and o.customer_phone and o.customer_address for o in shop.orders())
