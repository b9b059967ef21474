"""A campaign end to end in Telegram: a shopper says yes to offers at checkout, receives a campaign with a code of
their own through the real gateway, orders with it, and the report credits the order; "unsubscribe" in the chat
keeps them out of the next campaign. The real Rasa server, action server and gateway; Telegram is the fake."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from checkout.db.models import Order
from checkout.marketing.campaigns import CampaignSpec, create_campaign, preview_campaign, send_campaign
from checkout.marketing.report import report_campaign
from checkout.promotions.admin import PromoSpec
from checkout.promotions.kinds import PromoKind
from tests.e2e.conftest import WAIT_SECONDS
from tests.telegram_chat import TelegramChat, text_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def telegram(telegram_shop):
    """The Telegram stack of tests/e2e/conftest.py (it takes Telegram invoices too: a placed order asks how to pay)."""
    return telegram_shop


def orders_of(telegram, chat) -> list[Order]:
    with telegram.stack.db.reading() as session:
        return list(session.scalars(select(Order).where(Order.sender_id == str(chat.chat_id)).order_by(Order.id)))


def campaign(telegram, name: str) -> int:
    spec = CampaignSpec(
        name=name,
        message="Hi {first_name}! 10% off caps this week with {code}",
        channels=("chat",),
        batch_prefix=name,
        batch=PromoSpec(PromoKind.PERCENT, "10", "EUR"),
    )
    return create_campaign(telegram.stack.db, spec, actor="e2e")


def test_consent_at_checkout_a_campaign_code_an_order_credited_and_unsubscribe(telegram):
    chat = TelegramChat(telegram.fake, 870_001, first_name="Ines", last_name="Costa")
    assert "Added 1 × Dad Cap (black)" in chat.say("add 1 black dad cap"), chat.text
    assert "full name" in chat.say("checkout"), chat.text
    assert "phone" in chat.say("Ines Costa"), chat.text
    assert "address" in chat.say("+351 912 345 678"), chat.text
    assert "email" in chat.say("Rua Augusta 1, 1100-048 Lisboa"), chat.text
    summary = chat.press("Skip")
    assert "May we send you our offers here in the chat now and then?" in summary, summary
    assert "Shall I place the order?" in summary, summary
    assert "You'll get our offers here in the chat" in chat.press("Yes, send me offers"), chat.text
    assert "is placed" in chat.say("yes"), chat.text  # the summary still waits for its yes

    spring = campaign(telegram, "SPRING")
    assert send_campaign(telegram.stack.db, telegram.stack.settings, spring, "e2e") == 1
    telegram.fake.wait_for(
        lambda: any("10% off caps this week with SPRING-" in text_of(c) for c in chat.delivered()),
        WAIT_SECONDS,
        "the campaign message in the shopper's chat",
    )
    offer = next(text_of(c) for c in chat.delivered() if "SPRING-" in text_of(c))
    assert offer.startswith("Hi Ines!")
    code = re.search(r"SPRING-[A-Z0-9]{6}", offer).group()

    assert "Added 1 × Dad Cap (beige)" in chat.say("add 1 beige dad cap"), chat.text
    assert f"Code {code} applied: 10% off the items." in chat.say(f"i have a code {code.lower()}"), chat.text
    assert "same details as last time" in chat.say("checkout"), chat.text
    summary = chat.press("Yes")
    assert "May we send you" not in summary and f"Discount ({code})" in summary, summary  # asked once
    assert "is placed" in chat.say("yes"), chat.text
    latest = orders_of(telegram, chat)[-1]
    assert (latest.discount_code, latest.campaign_id) == (code, spring)

    report = report_campaign(telegram.stack.db, spring)
    assert (report["recipients"], report["sent"], report["orders"]) == (1, 1, 1)
    assert report["revenue"] == f"{latest.total_minor / 100:.2f}" and report["paid_revenue"] == "0.00"

    assert "no more offers here in the chat" in chat.say("unsubscribe"), chat.text
    summer = campaign(telegram, "SUMMER")
    _, audience = preview_campaign(telegram.stack.db, telegram.stack.settings, summer)
    left_out = [(e.customer.channel_user_id, str(e.reason)) for e in audience.excluded if e.channel == "telegram"]
    assert left_out == [("870001", "no_consent")]
    assert send_campaign(telegram.stack.db, telegram.stack.settings, summer, "e2e") == 0
