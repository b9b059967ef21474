"""The fixed words of the shop, each built in one place: variant and line labels, Rasa button payloads."""

from __future__ import annotations

from checkout.button_payloads import rasa_payload
from checkout.orders.labels import line_label, variant_label
from checkout.payments.choice import choose_payload, payment_buttons, payment_titles


def test_labels_name_only_the_choices_a_product_has():
    assert (
        variant_label("black", "M") == "black, M"
        and variant_label(None, "A5") == "A5"
        and variant_label(None, None) == ""
    )
    assert line_label("Logo Tee", "black", "M") == "Logo Tee (black, M)"
    assert line_label("Gift Card", None, None) == "Gift Card"


def test_a_payload_is_the_intent_and_its_entities_as_rasa_reads_them():
    assert rasa_payload("view_cart") == "/view_cart"
    assert (
        rasa_payload("add_to_cart", product="Crème Douce", color="rosé")
        == '/add_to_cart{"product": "Crème Douce", "color": "rosé"}'
    )
    assert (
        choose_payload("stripe", "AB12CD")
        == '/choose_payment_method{"payment_method": "stripe", "order_number": "AB12CD"}'
    )


def test_payment_buttons_carry_domain_yml_titles_in_and_outside_the_chat():
    assert payment_titles() == {
        "manual": "Bank transfer or cash on delivery",
        "stripe": "Pay by card",
        "telegram": "Pay in Telegram",
    }
    assert [b["title"] for b in payment_buttons(["stripe", "manual"], "AB12CD")] == [
        "Pay by card",
        "Bank transfer or cash on delivery",
    ]
