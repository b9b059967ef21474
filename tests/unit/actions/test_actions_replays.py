"""A turn run again with the same shopper message (lost with its Rasa server, sent again by our clients, its actions
run again on another server): the actions pass the message's id to the services, which change nothing the second
time, and the shopper reads the same reply."""

from __future__ import annotations

from actions.cart_actions import ActionRemoveFromCart, ActionStartCartLine
from actions.consent_actions import ActionSubscribe
from actions.discount_actions import ActionRemoveDiscount
from actions.order_actions import ActionResolveConfirmation
from checkout.carts import view_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import ConsentChange, Payment
from checkout.promotions.admin import PromoSpec, create_code
from checkout.promotions.cart_codes import apply_code_to_cart
from checkout.promotions.kinds import PromoKind
from tests.unit.actions.action_harness import DETAILS, confirm, render, responses, run, summary, tracker

TELEGRAM = {"channel": "telegram", "user_id": 4242, "first_name": "Ana"}


def twice(action, tracker_):
    """The action run for the same message twice, as on two Rasa servers; both runs' (messages, events)."""
    return run(action, tracker_), run(action, tracker_)


def said(messages: list[dict]) -> list[str]:
    return [render(m) for m in messages]


def test_a_line_said_in_full_is_added_once(shop):
    first, again = twice(
        ActionStartCartLine(),
        tracker(
            text="2 black logo tees in M",
            intent="add_to_cart",
            entities={"product": "Logo Tee", "color": "black", "size": "M", "quantity": "2"},
            metadata={**TELEGRAM, "message_id": 77},
            channel="telegram",
        ),
    )
    assert responses(first[0]) == ["utter_added_to_cart"]
    assert said(again[0]) == said(first[0]) and again[1] == first[1]
    with shop.db.transaction() as session:
        lines = view_cart(session, identify(session, ShopperIdentity("telegram", "4242", "web-ana")), "EUR").lines
        assert [(line.variant.sku, line.quantity) for line in lines] == [("TEE-LOGO-BLK-M", 2)]


def test_without_a_message_id_each_run_adds(shop):
    turn = tracker(
        text="2 black logo tees in M",
        intent="add_to_cart",
        entities={"product": "Logo Tee", "color": "black", "size": "M", "quantity": "2"},
    )
    twice(ActionStartCartLine(), turn)
    assert shop.cart("web-ana") == [("TEE-LOGO-BLK-M", 4)]


def test_a_line_removed_is_removed_once_and_named_again(shop):
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 3), ("STK-PACK", 1)])
    first, again = twice(
        ActionRemoveFromCart(),
        tracker(
            text="remove the stickers",
            intent="remove_from_cart",
            entities={"product": "Sticker Pack"},
            metadata={"message_id": "m-1"},
        ),
    )
    assert responses(first[0]) == ["utter_removed_from_cart"]
    assert said(again[0]) == said(first[0])
    assert shop.cart("web-ana") == [("TEE-LOGO-BLK-M", 3)]


def test_a_yes_places_one_order_and_its_replay_answers_with_that_order(shop):
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1)])
    _, pending = summary()
    first = confirm(pending, metadata={"message_id": "m-yes"})
    again = confirm(pending, metadata={"message_id": "m-yes"})  # the slot still pending: the tracker was not saved
    assert responses(again[0]) == ["utter_order_placed"]  # not "your cart is empty"
    assert said(again[0]) == said(first[0]) and again[1] == first[1]
    [order] = shop.orders()
    assert again[0][0]["number"] == order.number
    assert shop.count(Payment) == 1 and shop.stock("HOOD-HVY-BLK-M") == 9


def test_a_cancellation_is_answered_the_same_when_run_again(shop):
    shop.fill_cart("web-ana", [("HOOD-HVY-BLK-M", 1)])
    _, pending = summary()
    number = confirm(pending, metadata={"message_id": "m-yes"})[0][0]["number"]
    first, again = twice(
        ActionResolveConfirmation(),
        tracker(
            text="yes",
            intent="affirm",
            slots={**DETAILS, "pending_confirmation": f"cancel_order:{number}"},
            metadata={"message_id": "m-cancel"},
        ),
    )
    assert responses(first[0]) == responses(again[0]) == ["utter_order_cancelled"]
    assert shop.stock("HOOD-HVY-BLK-M") == 10


def test_a_code_dropped_is_named_again(shop):
    create_code(shop.db, "XMAS10", PromoSpec(PromoKind.PERCENT, "10", "EUR"), actor="cli")
    shop.fill_cart("web-ana", [("STK-PACK", 2)])
    apply_code_to_cart(shop.db, shop.settings, ShopperIdentity("rest", "web-ana", "web-ana"), "XMAS10")
    first, again = twice(
        ActionRemoveDiscount(),
        tracker(text="remove the code", intent="remove_discount", metadata={"message_id": "m-1"}),
    )
    assert responses(first[0]) == responses(again[0]) == ["utter_discount_removed"]
    assert said(again[0]) == said(first[0])


def test_offers_subscribed_to_once(shop):
    first, again = twice(
        ActionSubscribe(),
        tracker(
            text="send me offers",
            intent="subscribe",
            metadata={**TELEGRAM, "message_id": 78},
            channel="telegram",
        ),
    )
    assert said(again[0]) == said(first[0])
    assert shop.count(ConsentChange) == 1
