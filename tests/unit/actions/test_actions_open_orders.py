"""At most SHOP_MAX_OPEN_ORDERS (3) unpaid orders: the fourth checkout is answered, at its start and at the "yes" to
its summary, with the open orders and a button to pay and to cancel each; nothing is ordered and the cart is kept."""

from __future__ import annotations

import json

from actions.checkout_actions import ActionStartCheckout
from actions.order_actions import ActionCancelOrder, ActionOrderStatus
from actions.payment_actions import ActionStartPayment
from checkout.db.models import Order
from tests.unit.actions.action_harness import (
    PAYMENT_INSTRUCTIONS,
    confirm,
    render,
    responses,
    run,
    slot_sets,
    summary,
    tracker,
    use_settings,
)


def place(shop, sender="web-ana") -> str:
    shop.fill_cart(sender, [("STK-PACK", 1)])
    _, pending = summary(sender)
    messages, _ = confirm(pending, sender=sender)
    assert responses(messages) == ["utter_order_placed"], messages
    return shop.orders()[-1].number


def tap(action, button: dict, sender="web-ana"):
    """What Rasa hands `action` when a button's "/intent{entities}" payload comes back."""
    intent, entities = button["payload"][1:].split("{", 1)
    return run(action, tracker(sender, button["payload"], intent, json.loads("{" + entities), confidence=1.0))


def test_the_fourth_checkout_lists_the_open_orders_with_a_pay_and_a_cancel_button_each(shop):
    numbers = [place(shop) for _ in range(3)]
    due = {o.number: o.payment_due_at for o in shop.orders()}
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1)])

    messages, events = run(ActionStartCheckout(), tracker(text="checkout", intent="checkout"))
    assert responses(messages) == ["utter_too_many_open_orders"]
    assert slot_sets(events)["checkout_form_needed"] is False  # no details asked for an order that cannot be placed
    assert render(messages[0]) == (
        "You already have 3 orders waiting for payment, the most I can hold for you at once:\n"
        + "\n".join(f"• {n}: €4.50, to pay by {due[n]:%d %b %H:%M} UTC" for n in numbers)
        + "\nTo order more, pay one of them or cancel one you no longer want, then check out again. "
        "Your cart is kept."
    )
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == [t for n in numbers for t in (f"Pay {n}", f"Cancel {n}")]
    assert shop.cart("web-ana") == [("HOOD-HVY-BLK-M", 1)]

    # One method offered: Pay shows its instructions at once. Cancel asks to confirm, as "cancel <number>" does.
    paid, _ = tap(ActionStartPayment(), buttons[0])
    assert responses(paid) == ["utter_payment_step"] and PAYMENT_INSTRUCTIONS in render(paid[0])
    asked, events = tap(ActionCancelOrder(), buttons[1])
    assert responses(asked) == ["utter_confirm_cancel"]
    assert slot_sets(events)["pending_confirmation"] == f"cancel_order:{numbers[0]}"


def test_the_yes_to_a_summary_is_refused_too_and_orders_nothing(shop):
    for _ in range(3):
        place(shop)
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1)])
    stock = shop.stock("HOOD-HVY-BLK-M")
    _, pending = summary()  # shown before the limit was reached, say in another tab
    messages, _ = confirm(pending)
    assert responses(messages) == ["utter_too_many_open_orders"]
    assert render(messages[0]).startswith("You already have 3 orders waiting for payment")
    assert shop.count(Order) == 3 and shop.stock("HOOD-HVY-BLK-M") == stock
    assert shop.cart("web-ana") == [("HOOD-HVY-BLK-M", 1)]


def test_with_several_methods_pay_shows_the_order_with_its_methods(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_max_open_orders=1)
    number = place(shop)
    use_settings(shop, monkeypatch, shop_max_open_orders=1, shop_payment_methods="stripe,manual", stripe_secret_key="x")
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    messages, _ = run(ActionStartCheckout(), tracker(text="checkout", intent="checkout"))
    pay, cancel = messages[0]["buttons"]
    assert pay["payload"] == f'/order_status{{"order_number": "{number}"}}'
    assert cancel["payload"] == f'/cancel_order{{"order_number": "{number}"}}'
    status, _ = tap(ActionOrderStatus(), pay)
    assert responses(status) == ["utter_order_status_one"]
    assert [b["title"] for b in status[0]["buttons"]] == ["Pay by card", "Bank transfer or cash on delivery"]


def test_other_shoppers_and_closed_orders_do_not_count(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_max_open_orders=1)
    place(shop, "web-ben")
    first = place(shop)
    tapped, _ = run(ActionCancelOrder(), tracker("web-ana", f"cancel {first}", "cancel_order", {"order_number": first}))
    assert responses(tapped) == ["utter_confirm_cancel"]
    messages, _ = confirm(f"cancel_order:{first}")
    assert responses(messages) == ["utter_order_cancelled"]
    place(shop)  # the cancelled one no longer holds a place
