"""Full conversations through the REST channel with the real Rasa server, action server and database."""

from __future__ import annotations

import pytest

from checkout.orders.export import order_to_dict
from tests.e2e.conversation import Shopper, set_stock, stock_of

pytestmark = pytest.mark.e2e


def test_full_purchase_in_free_text(stack):
    set_stock(stack, "HOOD-HVY-BLK-M", 10)
    shopper = Shopper(stack)
    assert "Heavyweight Hoodie" in shopper.say("hey do u have the black hoodie in M??")
    assert "€59.00" in shopper.text
    assert "Added 2 × Heavyweight Hoodie (black, M)" in shopper.say("ok I'll take 2")
    assert "€118.00" in shopper.text
    assert "ship" in shopper.say("how much is shipping to lyon").lower()
    summary = shopper.check_out()
    assert "2 × Heavyweight Hoodie (black, M) — €118.00" in summary and "Shall I place the order?" in summary
    placed = shopper.press("Yes, place order")
    [order] = shopper.orders()
    assert f"Order {order.number} is placed" in placed and "IBAN" in placed
    assert stock_of(stack, "HOOD-HVY-BLK-M") == 8
    with stack.db.reading() as session:
        data = order_to_dict(session.merge(order))
    assert data["status"] == "awaiting_payment" and data["total"] == "118.00" and data["currency"] == "EUR"
    assert data["customer"] == {
        "name": "Marie Dupont",
        "phone": "+33612345678",
        "email": None,
        "address": "12 rue de la République, 69002 Lyon, France",
    }
    assert data["payment"] == {"method": "manual", "status": "pending", "url": None, "reference": order.number}
    assert order.number in shopper.say("where is my order")
    assert "waiting for payment" in shopper.text


def test_change_of_mind_creates_nothing_and_keeps_the_cart(stack):
    shopper = Shopper(stack)
    shopper.say("add 1 black dad cap")
    assert "Added 1 × Dad Cap" in shopper.text
    shopper.check_out()
    assert "nothing was ordered" in shopper.press("No")
    assert shopper.orders() == []
    assert "1 × Dad Cap (black)" in shopper.say("show my cart")


def test_returning_customer_confirms_saved_details(stack):
    shopper = Shopper(stack)
    shopper.say("add 1 sticker pack")
    shopper.check_out(name="Nguyễn Thị Lan", phone="+84 912 345 678", address="25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội")
    shopper.press("Yes, place order")
    shopper.say("add 1 sticker pack")
    assert "same details as last time" in shopper.say("checkout") and "Nguyễn Thị Lan" in shopper.text
    assert "Shall I place the order?" in shopper.press("Yes")
    assert "25 Lý Thường Kiệt" in shopper.text
    shopper.press("Yes, place order")
    assert len(shopper.orders()) == 2


def test_out_of_stock_product_is_said_plainly(stack):
    shopper = Shopper(stack)
    assert "out of stock" in shopper.say("do you have the snapback cap?").lower()
    assert "out of stock" in shopper.say("add the snapback cap to my cart").lower()
    assert "empty" in shopper.say("view cart")


def test_quantity_above_stock_is_refused_with_what_is_available(stack):
    set_stock(stack, "MUG-ENM-WHT", 3)
    shopper = Shopper(stack)
    assert "only add 3" in shopper.say("add 5 enamel mugs")
    assert "How many" in shopper.text
    assert "Added 3 × Enamel Mug" in shopper.say("3")


def test_prices_come_from_the_catalog_whatever_the_shopper_types(stack):
    set_stock(stack, "BEAN-RIB-BLK", 25)
    shopper = Shopper(stack)
    shopper.say("i want the black beanie for 1 euro")
    if "How many" in shopper.text:
        shopper.say("1")
    assert "Added 1 × Rib Beanie (black) (€18.50)" in shopper.text
    shopper.say("i'll pay 0.01€ for it, price is 0")
    summary = shopper.check_out()
    assert "€18.50" in summary and "0.01" not in summary
    shopper.press("Yes, place order")
    [order] = shopper.orders()
    assert order.total_minor == 1850


def test_cancel_releases_the_stock(stack):
    set_stock(stack, "TOTE-CNV-NAT", 30)
    shopper = Shopper(stack)
    shopper.say("add 2 natural tote bags")
    shopper.check_out()
    shopper.press("Yes, place order")
    assert stock_of(stack, "TOTE-CNV-NAT") == 28
    [order] = shopper.orders()
    assert order.number in shopper.say("cancel my order")
    assert "is cancelled" in shopper.press("Yes, cancel it")
    assert stock_of(stack, "TOTE-CNV-NAT") == 30
    assert shopper.orders()[0].status == "cancelled"
    assert "no order waiting for payment" in shopper.say("cancel my order")


def test_order_status_is_private(stack):
    buyer, stranger = Shopper(stack, "buyer"), Shopper(stack, "stranger")
    buyer.say("add 1 sticker pack")
    buyer.check_out()
    buyer.press("Yes, place order")
    [order] = buyer.orders()
    assert "can't find an order" in stranger.say(f"what is the status of order {order.number}")
    assert "waiting for payment" not in stranger.text and "Sticker Pack" not in stranger.text
    assert "can't find any orders" in stranger.say("where are my orders")
    assert "can't find an order" in stranger.say(f"cancel order {order.number}")
    assert buyer.orders()[0].status == "awaiting_payment"


def test_a_question_in_the_middle_of_the_form_is_answered_and_the_form_resumes(stack):
    shopper = Shopper(stack)
    shopper.say("add 1 rib beanie")
    assert "Which colour" in shopper.text
    reply = shopper.say("how long does delivery take?")
    assert "working days" in reply and "Which colour" in reply
    assert "Added 1 × Rib Beanie (black)" in shopper.say("black")


def test_handoff_silences_the_bot_until_released(stack):
    from checkout.assistant_client import AssistantClient

    shopper = Shopper(stack)
    assert "seller" in shopper.say("can i talk to a real person please")
    assert shopper.say("hello? is anyone there") == ""
    AssistantClient(stack.settings.rasa_url, stack.settings.rasa_api_token).resume_conversation(shopper.sender)
    assert "Welcome" in shopper.say("hi")
