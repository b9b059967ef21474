"""The flood limits' settings and the gateways' per-chat gate (bot/flood.py), in memory; tests/integration/
test_flood_control.py floods the web chat and the Telegram gateway, and shares the counts on Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flood import FloodGate, Verdict
from checkout.settings import load_settings
from tests.fake_rasa import closed_port

NO_ENV_FILE = Path("/nonexistent/.env")


def test_defaults_no_human_typing_reaches():
    settings = load_settings({}, NO_ENV_FILE)
    assert settings.shop_chat_limit_per_conversation == "20/minute"
    assert settings.shop_chat_limit_per_address == "60/minute"


@pytest.mark.parametrize("value", ["lots", "20", "0/minute", "20/fortnight", "5/second;100/hour"])
@pytest.mark.parametrize("name", ["SHOP_CHAT_LIMIT_PER_CONVERSATION", "SHOP_CHAT_LIMIT_PER_ADDRESS"])
def test_a_bad_limit_fails_at_start_up_naming_the_setting(name, value):
    with pytest.raises(ValueError, match=f"{name}='{value}': not one rate such as 20/minute"):
        load_settings({name: value}, NO_ENV_FILE)


def test_other_spellings_of_one_rate_are_taken():
    settings = load_settings(
        {"SHOP_CHAT_LIMIT_PER_CONVERSATION": "30 per 2 minutes", "SHOP_CHAT_LIMIT_PER_ADDRESS": " 100/hour "},
        NO_ENV_FILE,
    )
    assert settings.shop_chat_limit_per_conversation == "30 per 2 minutes"


def test_past_the_limit_the_chat_is_told_once_then_dropped_and_other_chats_go_on():
    gate = FloodGate("3/minute", "telegram")
    verdicts = [gate.admit("42") for _ in range(7)]
    assert verdicts == [Verdict.ACCEPTED] * 3 + [Verdict.TELL] + [Verdict.DROP] * 3
    assert gate.admit("43") is Verdict.ACCEPTED
    # The same chat id in another channel is another chat.
    assert FloodGate("3/minute", "whatsapp").admit("42") is Verdict.ACCEPTED


def test_one_notice_per_period_of_the_limit():
    assert FloodGate("20/minute", "telegram").notice.get_expiry() == 60
    assert FloodGate("30 per 2 minutes", "telegram").notice.get_expiry() == 120


def test_gates_in_memory_count_per_process():
    one, other = FloodGate("2/minute", "telegram"), FloodGate("2/minute", "telegram")
    assert [one.admit("7") for _ in range(2)] == [Verdict.ACCEPTED] * 2
    assert other.admit("7") is Verdict.ACCEPTED


def test_an_unreachable_redis_falls_back_to_counting_in_memory():
    gate = FloodGate("2/minute", "telegram", f"redis://127.0.0.1:{closed_port()}/0")
    assert [gate.admit("9") for _ in range(4)] == [Verdict.ACCEPTED] * 2 + [Verdict.TELL, Verdict.DROP]
