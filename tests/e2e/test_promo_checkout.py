"""Promo codes through the real stack: a code given in the middle of the checkout form and one given at the order
summary, paid by the manual method and by card (the fake Stripe), with the shop's delivery fee; the orders JSON of
the API adds up and Stripe is asked for exactly the order's total."""

from __future__ import annotations

import httpx
import pytest

from checkout.access.api_tokens import create_token
from checkout.promotions.admin import PromoSpec, create_code
from checkout.promotions.kinds import PromoKind
from tests.e2e.conversation import Shopper

pytestmark = pytest.mark.e2e

# One hoodie is 59.00: below the free-delivery threshold even before its discount, so each order pays 4.90.
HOODIE = "add 1 black hoodie in M"


@pytest.fixture(scope="module")
def promo_stack(card_stack):
    """The card stack (tests/e2e/conftest.py) with two codes."""
    create_code(card_stack.db, "SPRING10", PromoSpec(PromoKind.PERCENT, "10", "EUR"), actor="e2e")
    create_code(card_stack.db, "TAKE5", PromoSpec(PromoKind.AMOUNT, "5.00", "EUR", max_uses=1), actor="e2e")
    return card_stack


@pytest.fixture(scope="module")
def api_token(promo_stack) -> str:
    with promo_stack.db.transaction() as session:
        return create_token(session, "e2e")[1]


def order_json(stack, token: str, number: str) -> dict:
    response = httpx.get(
        f"{stack.settings.web_url}/api/orders/{number}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def test_a_code_given_inside_the_checkout_form_is_charged_by_the_manual_method(promo_stack, api_token):
    shopper = Shopper(promo_stack, "promo-manual")
    assert "Added 1 × Heavyweight Hoodie (black, M)" in shopper.say(HOODIE), shopper.text
    assert "Cart total: €63.90 (items €59.00, delivery €4.90)" in shopper.text
    assert "full name" in shopper.say("checkout"), shopper.text
    assert "phone" in shopper.say("Marie Dupont"), shopper.text
    reply = shopper.say("oh I have a code spring10")
    assert "Code SPRING10 applied: 10% off the items." in reply, reply
    assert "phone" in reply, reply  # the form asks its question again
    assert "address" in shopper.say("+33 6 12 34 56 78"), shopper.text
    assert "email" in shopper.say("12 rue de la République, 69002 Lyon, France"), shopper.text
    summary = shopper.press("Skip")
    assert "Subtotal: €59.00\nDiscount (SPRING10): -€5.90\nDelivery: €4.90\nTotal: €58.00" in summary, summary
    placed = shopper.press("Yes, place order")
    [order] = shopper.orders()
    assert f"Order {order.number} is placed: €58.00" in placed, placed
    assert "€58.00" in shopper.press("Bank transfer or cash on delivery")
    data = order_json(promo_stack, api_token, order.number)
    assert (data["subtotal"], data["discount"], data["delivery"], data["total"]) == (
        "59.00",
        {"code": "SPRING10", "amount": "5.90"},
        "4.90",
        "58.00",
    )
    assert data["payment"]["method"] == "manual"


def test_a_code_given_at_the_summary_shows_it_again_and_stripe_charges_the_total(promo_stack, fake_stripe, api_token):
    shopper = Shopper(promo_stack, "promo-card")
    shopper.say(HOODIE)
    assert "Total: €63.90" in shopper.check_out(), shopper.text
    again = shopper.say("use code TAKE5")
    assert "Code TAKE5 applied: €5.00 off the items." in again, again
    assert "Discount (TAKE5): -€5.00\nDelivery: €4.90\nTotal: €58.90" in again and "Shall I place the order?" in again
    shopper.press("Yes, place order")
    [order] = shopper.orders()
    assert "Stripe's secure page" in shopper.press("Pay by card")
    (pay_now,) = shopper.buttons
    session_id = pay_now["url"].rsplit("/", 1)[1]
    assert fake_stripe.sessions[session_id]["amount_total"] == order.total_minor == 5890
    data = order_json(promo_stack, api_token, order.number)
    assert (data["subtotal"], data["discount"], data["delivery"], data["total"]) == (
        "59.00",
        {"code": "TAKE5", "amount": "5.00"},
        "4.90",
        "58.90",
    )

    # TAKE5 had one use, held by that order: the next shopper is told so, and their cart is priced without it
    other = Shopper(promo_stack, "promo-late")
    other.say(HOODIE)
    assert "Sorry, code TAKE5 has been used up." in other.say("i have a coupon TAKE5"), other.text
    assert "Total: €63.90" in other.say("my cart"), other.text
