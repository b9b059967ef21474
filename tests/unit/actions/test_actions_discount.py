"""Promo codes in the chat: applied with the cart, kept for later, refused with the reason, removed; at the order
summary the summary is shown again, and a code that went bad before "yes" is said, not charged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions.cart_actions import ActionStartCartLine
from actions.discount_actions import ActionApplyDiscount, ActionRemoveDiscount
from checkout.db.models import utcnow
from checkout.promotions.admin import PromoSpec, create_code, disable_code
from checkout.promotions.kinds import PromoKind
from tests.unit.actions.action_harness import (
    DETAILS,
    confirm,
    render,
    responses,
    run,
    slot_sets,
    summary,
    tracker,
    use_settings,
)

TEE = "TEE-LOGO-BLK-M"  # 24.90


def code(shop, text: str, kind=PromoKind.PERCENT, value: str | None = "10", **options) -> None:
    create_code(shop.db, text, PromoSpec(kind=kind, value=value, currency="EUR", **options), actor="test")


def use_up(shop, text: str) -> None:
    """Another shopper places an order with the code's last use."""
    shop.fill_cart("web-bo", [(TEE, 1)])
    apply(text, tagged=text, sender="web-bo")
    _, pending = summary(sender="web-bo")
    messages, _ = confirm(pending, sender="web-bo")
    assert responses(messages) == ["utter_order_placed"]


def apply(text: str, tagged: str | None = None, slots=None, active_loop=None, sender="web-ana"):
    entities = {"discount_code": tagged} if tagged else None
    return run(
        ActionApplyDiscount(),
        tracker(sender, text, "apply_discount", entities, slots=slots, active_loop=active_loop),
    )


def test_a_code_applies_to_the_cart_and_shows_the_new_total(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_delivery_fee="4.90")
    code(shop, "SPRING10")
    shop.fill_cart("web-ana", [(TEE, 2)])  # 49.80
    messages, events = apply("I have a code spring10", tagged="spring10")
    assert responses(messages) == ["utter_discount_applied", "utter_cart_contents"]
    assert render(messages[0]) == "Code SPRING10 applied: 10% off the items."
    assert messages[1]["lines"].endswith("Subtotal: €49.80\nDiscount (SPRING10): -€4.98\nDelivery: €4.90")
    assert messages[1]["total"] == "€49.72"
    assert events == []


def test_an_untagged_code_in_the_message_is_found(shop):
    code(shop, "BACK-7KQ2", PromoKind.AMOUNT, "5.00")
    shop.fill_cart("web-ana", [(TEE, 1)])
    messages, _ = apply("discount: back-7kq2 thx", tagged="discount")  # the model tagged the wrong word
    assert responses(messages)[0] == "utter_discount_applied"
    assert render(messages[0]) == "Code BACK-7KQ2 applied: €5.00 off the items."
    assert messages[1]["total"] == "€19.90"


def test_no_code_in_the_message_asks_for_it(shop):
    messages, _ = apply("i have a coupon code")
    assert responses(messages) == ["utter_ask_discount_code"]


def test_a_code_before_any_item_is_saved_and_applies_to_what_is_added(shop):
    code(shop, "FREESHIP", PromoKind.FREE_DELIVERY, None)
    messages, _ = apply("code FREESHIP", tagged="FREESHIP")
    assert render(messages[0]) == "Code FREESHIP is saved: free delivery. It applies to what you add to your cart."
    messages, _ = run(
        ActionStartCartLine(),
        tracker(text="2 black logo tees in M", intent="add_to_cart", entities={"product": "logo tee"}),
    )
    # the default fee is none: nothing to break down yet, so the reply stays as it always was
    assert render(messages[0]).endswith("Cart total: €49.80.")


def test_the_added_reply_counts_delivery_and_the_code(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_delivery_fee="4.90")
    code(shop, "TAKE5", PromoKind.AMOUNT, "5.00")
    apply("take5", tagged="take5")
    messages, _ = run(
        ActionStartCartLine(),
        tracker(text="2 black logo tees in M", intent="add_to_cart", entities={"product": "logo tee"}),
    )
    assert render(messages[0]) == (
        "Added 2 × Logo Tee (black, M) (€49.80). Cart total: €49.70 (items €49.80, code TAKE5 -€5.00, delivery €4.90)."
    )


def test_below_the_minimum_says_how_much_more_and_keeps_the_code(shop):
    code(shop, "BIG5", PromoKind.AMOUNT, "5.00", min_order="62.00")
    shop.fill_cart("web-ana", [(TEE, 2)])  # 49.80
    messages, _ = apply("use code big5", tagged="big5")
    assert render(messages[0]) == (
        "Code BIG5 (€5.00 off the items) needs items worth €62.00: add €12.20 more to use it. "
        "I've kept it on your cart."
    )
    shop.fill_cart("web-ana", [(TEE, 1)])
    messages, _ = run(ActionRemoveDiscount(), tracker(text="remove the code", intent="remove_discount"))
    assert render(messages[0]) == "Code BIG5 removed. Cart total: €74.70."


def test_a_code_not_yet_valid_says_from_when(shop):
    starts = (utcnow() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    code(shop, "SOON", starts_at=starts)
    shop.fill_cart("web-ana", [(TEE, 1)])
    messages, _ = apply("soon", tagged="soon")
    assert responses(messages) == ["utter_discount_not_yet_valid"]
    assert messages[0]["starts"] == f"{starts:%d %b %Y} 09:00 UTC"


@pytest.mark.parametrize(
    ("setup", "reply"),
    [
        (lambda shop: None, "utter_discount_unknown"),
        (lambda shop: code(shop, "X9-CODE", ends_at=utcnow() - timedelta(days=1)), "utter_discount_expired"),
        (lambda shop: (code(shop, "X9-CODE", max_uses=1), use_up(shop, "X9-CODE")), "utter_discount_used_up"),
        (lambda shop: code(shop, "X9-CODE", customer_ids=(999,)), "utter_discount_not_for_you"),
        (lambda shop: (code(shop, "X9-CODE"), disable_code(shop.db, "X9-CODE", "test")), "utter_discount_inactive"),
    ],
)
def test_a_code_that_cannot_be_used_says_why_and_keeps_the_cart_as_it_was(shop, setup, reply):
    code(shop, "KEEP5", PromoKind.AMOUNT, "5.00")
    setup(shop)
    shop.fill_cart("web-ana", [(TEE, 1)])
    apply("keep5", tagged="keep5")
    messages, _ = apply("try x9-code", tagged="x9-code")
    assert responses(messages) == [reply]
    assert render(messages[0]).endswith("Your cart keeps code KEEP5.")
    assert "X9-CODE" in render(messages[0])


def test_at_the_summary_a_code_shows_the_summary_again_and_yes_charges_it(shop):
    code(shop, "TEN", value="10")
    shop.fill_cart("web-ana", [(TEE, 2)])
    _, pending = summary()
    messages, events = apply(
        "oh wait i have a code TEN", tagged="TEN", slots={**DETAILS, "pending_confirmation": pending}
    )
    assert responses(messages) == ["utter_discount_applied", "utter_order_summary"]
    assert messages[1]["total"] == "€44.82"
    new_pending = slot_sets(events)["pending_confirmation"]
    assert new_pending != pending
    messages, _ = confirm(new_pending)
    assert responses(messages) == ["utter_order_placed"]
    [order] = shop.orders()
    assert (order.discount_code, order.discount_minor, order.total_minor) == ("TEN", 498, 4482)


def test_removing_the_code_at_the_summary_shows_it_again_at_full_price(shop):
    code(shop, "TEN", value="10")
    shop.fill_cart("web-ana", [(TEE, 2)])
    apply("TEN", tagged="TEN")
    _, pending = summary()
    messages, events = run(
        ActionRemoveDiscount(),
        tracker(text="no code", intent="remove_discount", slots={**DETAILS, "pending_confirmation": pending}),
    )
    assert responses(messages) == ["utter_discount_removed", "utter_order_summary"]
    assert messages[1]["total"] == "€49.80"
    assert slot_sets(events)["pending_confirmation"] != pending


def test_nothing_to_remove(shop):
    messages, _ = run(ActionRemoveDiscount(), tracker(text="remove the coupon", intent="remove_discount"))
    assert responses(messages) == ["utter_no_discount_to_remove"]


def test_a_code_used_up_before_yes_is_said_and_the_summary_stays_pending(shop):
    code(shop, "LAST", value="10", max_uses=1)
    shop.fill_cart("web-ana", [(TEE, 2)])
    apply("LAST", tagged="LAST")
    _, pending = summary()
    use_up(shop, "LAST")  # another shopper's order takes the last use while Ana reads her summary
    messages, events = confirm(pending)
    assert responses(messages) == ["utter_discount_used_up", "utter_order_code_refused"]
    assert [o.sender_id for o in shop.orders()] == ["web-bo"]  # nothing ordered for Ana
    assert slot_sets(events)["pending_confirmation"] == pending  # "remove the code" shows the summary again
    messages, _ = run(
        ActionRemoveDiscount(),
        tracker(text="remove the code", intent="remove_discount", slots={**DETAILS, "pending_confirmation": pending}),
    )
    assert responses(messages) == ["utter_discount_removed", "utter_order_summary"]


def test_inside_a_form_the_code_is_answered_without_touching_the_form(shop):
    code(shop, "TEN", value="10")
    shop.fill_cart("web-ana", [(TEE, 1)])
    messages, events = apply(
        "code TEN", tagged="TEN", active_loop="checkout_form", slots={"requested_slot": "customer_phone"}
    )
    assert responses(messages) == ["utter_discount_applied", "utter_cart_contents"]
    assert events == []
