"""What order and campaign emails say and carry, built from ORM objects without a database: totals, how to pay,
escaping, the RFC 8058 headers, and the unsubscribe token."""

from __future__ import annotations

import email
import email.policy

import pytest

from checkout.db.models import Order, OrderItem, Payment
from checkout.email.compose import compose
from checkout.email.drafts import Draft, NotSendable, paragraphs
from checkout.email.order_content import how_to_pay, order_view
from checkout.email.rendering import render_parts
from checkout.email.unsubscribe import mask_email, read_unsubscribe_token, unsubscribe_token, unsubscribe_url
from checkout.settings import Settings

SETTINGS = Settings(
    shop_email_from="Loop Streetwear <shop@loop.example>",
    shop_postal_address="12 rue du Faubourg, 75010 Paris",
    shop_public_url="https://shop.example.com/",
    shop_secret_key="key",
)


def order(status: str = "awaiting_payment", channel: str = "rest", payments: tuple[str, ...] = (), **values) -> Order:
    defaults = {
        "customer_name": "Ana Lima",
        "customer_address": "3 rue Oberkampf, 75011 Paris",
        "subtotal_minor": 4980,
        "discount_minor": 0,
        "delivery_minor": 0,
        "total_minor": 4980,
    }
    built = Order(number="A7K2Q9", status=status, channel=channel, currency="EUR", **{**defaults, **values})
    built.items = [OrderItem(sku="T", name="Logo Tee", color="black", size="M", quantity=2, unit_price_minor=2490)]
    built.payments = [Payment(method=m, amount_minor=4980, currency="EUR") for m in payments]
    return built


def render(kind: str, built: Order, settings: Settings = SETTINGS) -> tuple[str, str]:
    return render_parts(
        kind,
        subject="s",
        shop_name=settings.shop_name,
        postal_address=settings.shop_postal_address,
        order=order_view(built),
        how_to_pay=how_to_pay(built, settings),
    )


def test_totals_without_discount_show_free_delivery_and_no_discount_line():
    text, html = render("order_confirmation", order())
    for part in (text, html):
        assert "Discount" not in part and "Free" in part and "€49.80" in part
    assert "2 × Logo Tee (black, M) (€24.90 each): €49.80" in text


@pytest.mark.parametrize(
    "settings_changes, channel, payments, card, manual",
    [
        ({}, "rest", (), False, True),  # the default shop: manual only
        ({"stripe_secret_key": "sk", "shop_payment_methods": "stripe"}, "rest", (), True, False),
        ({"stripe_secret_key": "sk", "shop_payment_methods": "stripe,manual"}, "rest", (), True, True),  # to choose
        ({"stripe_secret_key": "sk", "shop_payment_methods": "stripe,manual"}, "rest", ("manual",), False, True),
        ({"telegram_payment_provider_token": "t", "shop_payment_methods": "telegram"}, "telegram", (), True, False),
        ({"telegram_payment_provider_token": "t", "shop_payment_methods": "telegram"}, "rest", (), False, True),
    ],
)
def test_how_to_pay_follows_the_started_payment_or_the_methods_offered(
    settings_changes, channel, payments, card, manual
):
    settings = SETTINGS.replace(**settings_changes)
    guide = how_to_pay(order(channel=channel, payments=payments), settings)
    assert guide is not None and (guide.card_in_chat, guide.instructions is not None) == (card, manual)
    text, _ = render("order_confirmation", order(channel=channel, payments=payments), settings)
    assert ("payment link we sent you in the chat" in text) == card
    assert ("Reference: A7K2Q9" in text) == manual


def test_a_confirmation_sent_after_the_payment_says_it_was_received():
    assert how_to_pay(order("paid"), SETTINGS) is None
    text, html = render("order_confirmation", order("paid"))
    assert "How to pay" not in text and "received your payment" in text and "received your payment" in html


def test_what_shoppers_and_sellers_typed_is_escaped_in_html_and_kept_in_text():
    tricky = order(customer_name="<script>x</script> Ana", fulfilment_note='Track: <a href="javascript:x">here</a>')
    text, html = render("order_fulfilled", tricky)
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html
    assert '<a href="javascript:x">here</a>' in text  # plain text shows it as typed


def test_campaign_text_becomes_paragraphs_with_line_breaks():
    assert paragraphs("Hi Marie,\r\n\r\n20% off\nthis weekend.\n\n\n") == [["Hi Marie,"], ["20% off", "this weekend."]]


def test_a_marketing_message_carries_rfc_8058_headers_and_both_parts():
    link = unsubscribe_url(SETTINGS, 7, 3)
    draft = Draft("marie@example.com", "Loop: 20% off", "Hi", "<p>Hi</p>", unsubscribe_url=link)
    raw = compose(SETTINGS, draft).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    # Folded after the colon when long (RFC 5322 folding, undone by every reader): compared unfolded.
    assert parsed["List-Unsubscribe"].strip() == f"<{link}>, <mailto:shop@loop.example?subject=unsubscribe>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"].endswith("@loop.example>")
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert link.startswith("https://shop.example.com/unsubscribe/")  # the trailing slash of the setting is dropped
    transactional = compose(SETTINGS, Draft("marie@example.com", "Order", "Hi", "<p>Hi</p>"))
    assert "List-Unsubscribe" not in transactional and "List-Unsubscribe-Post" not in transactional


def test_a_header_injection_is_not_sendable():
    with pytest.raises(NotSendable):
        compose(SETTINGS, Draft("marie@example.com\r\nBcc: all@example.com", "s", "t", "<p>t</p>"))


def test_the_unsubscribe_token_names_customer_and_campaign_and_resists_forgery():
    token = unsubscribe_token("key", 7, 3)
    assert read_unsubscribe_token("key", token).customer_id == 7
    assert read_unsubscribe_token("key", token).campaign_id == 3
    assert read_unsubscribe_token("key", unsubscribe_token("key", 7, None)).campaign_id is None
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "", unsubscribe_token("other", 7, 3)):
        assert read_unsubscribe_token("key", forged) is None
    assert read_unsubscribe_token("", token) is None  # no key configured: no link works
    with pytest.raises(ValueError):
        unsubscribe_token("", 7, 3)


def test_the_unsubscribe_page_shows_a_masked_address():
    assert mask_email("marie.dupont@example.com") == "m***@example.com"
    assert mask_email("") == "" and mask_email("nobody") == ""
