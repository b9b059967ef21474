"""The shopper's own orders (status, cancelling), the human seller, and shop questions answered from settings."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from actions.checkout_actions import ActionAskUseSavedDetails
from actions.order_actions import ActionCancelOrder, ActionOrderStatus, ActionResolveConfirmation
from actions.support_actions import ActionHumanHandoff, ActionShopInfo
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import AuditLog, Conversation, Order
from checkout.handoff import open_handoffs
from checkout.orders.lifecycle import change_status
from checkout.orders.placement import DeliveryDetails, place_order
from tests.unit.actions.action_harness import (
    PAYMENT_INSTRUCTIONS,
    RETURNS_INFO,
    SHIPPING_INFO,
    render,
    responses,
    run,
    slot_sets,
    tracker,
)


def placed(shop, sender: str, lines: list[tuple[str, int]], channel: str = "rest") -> str:
    """An order placed the way checkout places it (stock reserved); its number."""
    shop.fill_cart(sender, lines, channel)
    with shop.db.transaction() as session:
        customer = identify(session, ShopperIdentity(channel, sender, sender))
        details = DeliveryDetails("Ana Silva", "+351912345678", "Rua Augusta 1, 1100-048 Lisboa")
        return place_order(session, customer, None, details, "EUR").number


def renumber(shop, number: str, new_number: str) -> None:
    with shop.db.transaction() as session:
        session.execute(update(Order).where(Order.number == number).values(number=new_number))


def set_status(shop, number: str, *steps: str) -> None:
    with shop.db.transaction() as session:
        order = session.scalar(select(Order).where(Order.number == number))
        for step in steps:
            change_status(session, order, step, actor="seller:test")


def status_of(shop, number: str) -> str:
    with shop.db.transaction() as session:
        return session.scalar(select(Order.status).where(Order.number == number))


def ask_status(sender: str, text: str = "where is my order", number: str | None = None):
    return run(ActionOrderStatus(), tracker(sender, text, "order_status", {"order_number": number} if number else None))


# --- order status --------------------------------------------------------------------------------------------------


def test_no_orders_yet(shop):
    messages, _ = ask_status("web-ana")
    assert responses(messages) == ["utter_no_orders"]


def test_the_shoppers_own_orders_newest_first(shop):
    first = placed(shop, "web-ana", [("STK-PACK", 1)])
    second = placed(shop, "web-ana", [("HOOD-HVY-BLK-M", 1)])
    set_status(shop, second, "paid")
    placed(shop, "web-ben", [("CAP-DAD-BEI", 1)])
    messages, _ = ask_status("web-ana")
    assert responses(messages) == ["utter_order_status_list"]
    lines = messages[0]["orders"].splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"• {second} (") and lines[0].endswith(": paid, being prepared — €59.00")
    assert lines[1].startswith(f"• {first} (") and lines[1].endswith(": waiting for payment — €4.50")


def test_one_order_by_its_number(shop):
    number = placed(shop, "web-ana", [("TEE-LOGO-BLK-M", 2), ("STK-PACK", 1)])
    messages, _ = ask_status("web-ana", f"status of #{number.lower()}", number=f"#{number.lower()}")
    assert responses(messages) == ["utter_order_status_one"]
    message = messages[0]
    assert (message["number"], message["status"], message["items"], message["total"]) == (
        number,
        "waiting for payment",
        "2 × Logo Tee, 1 × Sticker Pack",
        "€54.30",
    )


def test_another_senders_order_number_is_not_found(shop):
    number = placed(shop, "web-ana", [("HOOD-HVY-BLK-M", 1)])
    messages, _ = ask_status("web-mallory", f"status of {number}", number=number)
    assert responses(messages) == ["utter_order_not_found"]
    assert messages[0]["number"] == number
    assert "Heavyweight" not in str(messages) and "Ana" not in str(messages)
    # nor by guessing it in the text without the NLU entity
    messages, _ = ask_status("web-mallory", f"what about order {number}")
    assert "utter_order_status_one" not in responses(messages)


def test_the_same_user_on_another_channel_is_another_shopper(shop):
    number = placed(shop, "555001", [("STK-PACK", 1)], channel="telegram")
    messages, _ = ask_status("555001", number=number)  # the web chat, with the same id
    assert responses(messages) == ["utter_order_not_found"]
    messages, _ = run(
        ActionOrderStatus(),
        tracker(
            "555001",
            "status",
            "order_status",
            {"order_number": number},
            metadata={"channel": "telegram", "user_id": 555001},
        ),
    )
    assert responses(messages) == ["utter_order_status_one"]


def test_an_order_number_typed_without_the_entity(shop):
    renumber(shop, placed(shop, "web-ana", [("STK-PACK", 1)]), "A7K2Q9")
    messages, _ = ask_status("web-ana", "hi where is a7k-2q9 ??")
    assert responses(messages) == ["utter_order_status_one"]
    assert messages[0]["number"] == "A7K2Q9"


def test_order_numbers_typed_without_the_entity_are_found_and_words_are_not_numbers(shop):
    from checkout.orders.numbers import new_order_number

    # Every drawn number has a digit, which is how a typed number is told from a six-letter word.
    assert all(any(ch.isdigit() for ch in new_order_number()) for _ in range(2000))
    renumber(shop, placed(shop, "web-ana", [("STK-PACK", 1)]), "KMNPQ7")
    messages, _ = ask_status("web-ana", "where is my order kmnpq7")
    assert responses(messages) == ["utter_order_status_one"]
    messages, _ = ask_status("web-ana", "where is my parcel please")
    assert responses(messages) == ["utter_order_status_list"]


# --- cancelling ----------------------------------------------------------------------------------------------------


def ask_cancel(sender: str, number: str | None = None, text: str = "cancel my order"):
    return run(ActionCancelOrder(), tracker(sender, text, "cancel_order", {"order_number": number} if number else None))


def answer(sender: str, pending: str, intent: str):
    return run(
        ActionResolveConfirmation(),
        tracker(sender, "yes" if intent == "affirm" else "no", intent, slots={"pending_confirmation": pending}),
    )


def test_cancel_an_unpaid_order_after_confirmation_releases_its_stock(shop):
    number = placed(shop, "web-ana", [("HOOD-HVY-BLK-M", 2), ("KEY-LTH-BRN", 1)])
    assert shop.stock("HOOD-HVY-BLK-M") == 8
    messages, events = ask_cancel("web-ana", number)
    assert responses(messages) == ["utter_confirm_cancel"]
    assert (messages[0]["number"], messages[0]["total"]) == (number, "€124.50")
    pending = slot_sets(events)["pending_confirmation"]
    assert pending == f"cancel_order:{number}"
    assert status_of(shop, number) == "awaiting_payment"  # nothing happens before the yes

    messages, events = answer("web-ana", pending, "affirm")
    assert responses(messages) == ["utter_order_cancelled"]
    assert slot_sets(events) == {"pending_confirmation": None, "consent_question": None}
    assert status_of(shop, number) == "cancelled"
    assert shop.stock("HOOD-HVY-BLK-M") == 10
    with shop.db.transaction() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "order.cancelled"))
        assert entry.entity_id == number and entry.actor.startswith("shopper:")

    messages, _ = answer("web-ana", pending, "affirm")  # a repeated yes
    assert "utter_order_cancelled" not in responses(messages)
    assert shop.stock("HOOD-HVY-BLK-M") == 10


def test_cancel_without_a_number_takes_the_unpaid_order(shop):
    paid = placed(shop, "web-ana", [("STK-PACK", 1)])
    set_status(shop, paid, "paid")
    unpaid = placed(shop, "web-ana", [("CAP-DAD-BEI", 1)])
    messages, events = ask_cancel("web-ana")
    assert responses(messages) == ["utter_confirm_cancel"]
    assert slot_sets(events)["pending_confirmation"] == f"cancel_order:{unpaid}"


def test_no_keeps_the_order(shop):
    number = placed(shop, "web-ana", [("HOOD-HVY-BLK-M", 1)])
    messages, _ = answer("web-ana", f"cancel_order:{number}", "deny")
    assert responses(messages) == ["utter_order_kept"]
    assert status_of(shop, number) == "awaiting_payment" and shop.stock("HOOD-HVY-BLK-M") == 9


def test_a_paid_order_is_not_cancelled_in_chat(shop):
    number = placed(shop, "web-ana", [("HOOD-HVY-BLK-M", 1)])
    set_status(shop, number, "paid")
    messages, events = ask_cancel("web-ana", number)
    assert responses(messages) == ["utter_cannot_cancel"]
    assert (messages[0]["number"], messages[0]["status"]) == (number, "paid, being prepared")
    assert "talk to a person" in render(messages[0])
    assert "pending_confirmation" not in slot_sets(events)
    assert status_of(shop, number) == "paid"


def test_an_order_paid_between_the_question_and_the_yes_is_not_cancelled(shop):
    number = placed(shop, "web-ana", [("HOOD-HVY-BLK-M", 1)])
    _, events = ask_cancel("web-ana", number)
    set_status(shop, number, "paid")  # the seller marks it paid meanwhile
    messages, _ = answer("web-ana", slot_sets(events)["pending_confirmation"], "affirm")
    assert responses(messages) == ["utter_cannot_cancel"]
    assert status_of(shop, number) == "paid"
    assert shop.stock("HOOD-HVY-BLK-M") == 9


def test_nothing_to_cancel(shop):
    number = placed(shop, "web-ana", [("STK-PACK", 1)])
    set_status(shop, number, "paid", "fulfilled")
    messages, _ = ask_cancel("web-ana")
    assert responses(messages) == ["utter_nothing_to_cancel"]


def test_another_senders_order_cannot_be_cancelled(shop):
    number = placed(shop, "web-ana", [("HOOD-HVY-BLK-M", 1)])
    messages, events = ask_cancel("web-mallory", number)
    assert responses(messages) == ["utter_order_not_found"]
    assert "pending_confirmation" not in slot_sets(events)
    # even with a forged confirmation slot
    messages, _ = answer("web-mallory", f"cancel_order:{number}", "affirm")
    assert responses(messages) == ["utter_order_not_found"]
    assert status_of(shop, number) == "awaiting_payment"


# --- the human seller ----------------------------------------------------------------------------------------------


def test_handoff_pauses_the_bot_and_records_the_request(shop):
    messages, events = run(
        ActionHumanHandoff(),
        tracker(
            "web-ana",
            "can i talk to a human",
            "human_handoff",
            active_loop="checkout_form",
            slots={"requested_slot": "customer_phone"},
        ),
    )
    assert responses(messages) == ["utter_handoff"]
    assert {"event": "pause", "timestamp": None} in events
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert slot_sets(events).get("requested_slot", "unset") is None
    with shop.db.transaction() as session:
        [conversation] = open_handoffs(session)
        assert conversation.sender_id == "web-ana" and conversation.handoff_requested_at is not None
        assert session.scalar(select(Conversation.id).where(Conversation.sender_id == "web-ben")) is None


# --- shop questions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "intent,response,info",
    [
        ("ask_shipping", "utter_shipping", SHIPPING_INFO),
        ("ask_returns", "utter_returns", RETURNS_INFO),
    ],
)
def test_shop_questions_are_answered_from_settings(shop, intent, response, info):
    messages, events = run(ActionShopInfo(), tracker(text="?", intent=intent))
    assert responses(messages) == [response]
    assert messages[0]["info"] == info and render(messages[0]) == info
    assert events == []


def test_payment_methods_are_answered_from_settings(shop):
    messages, _ = run(ActionShopInfo(), tracker(text="how can i pay", intent="ask_payment_methods"))
    assert responses(messages) == ["utter_payment_methods"]
    assert messages[0]["methods"] == "bank transfer or cash on delivery"
    assert messages[0]["info"] == PAYMENT_INSTRUCTIONS


# --- saved details of a shopper whose channel sends a profile name --------------------------------------------------


def test_saved_details_keep_the_delivery_name_given_at_checkout(shop):
    telegram = {"channel": "telegram", "user_id": 555001, "first_name": "Ana"}
    identity = ShopperIdentity.from_rasa("tg-555001", "rest", telegram)
    with shop.db.transaction() as session:
        customer = identify(session, identity)
    shop.fill_cart("555001", [("STK-PACK", 1)], channel="telegram")
    with shop.db.transaction() as session:
        customer = identify(session, identity)
        place_order(
            session,
            customer,
            None,
            DeliveryDetails("Ana Maria Silva", "+351912345678", "Rua Augusta 1, 1100-048 Lisboa"),
            "EUR",
        )
    messages, _ = run(ActionAskUseSavedDetails(), tracker("tg-555001", "checkout", "checkout", metadata=telegram))
    assert messages[0]["details"].splitlines()[0] == "Ana Maria Silva"


def test_an_empty_message_never_confirms_an_order(shop):
    messages, events = run(
        ActionResolveConfirmation(), tracker("web-ana", "", "affirm", slots={"pending_confirmation": "place_order:abc"})
    )
    assert responses(messages) == ["utter_default"]
    assert events == []
