"""`shop telegram set-webhook|delete-webhook` against the fake Bot API server."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from checkout.settings import Settings
from cli.context import AppContext
from cli.main import shop
from tests.fake_telegram import FakeTelegram


@pytest.fixture(scope="module")
def fake():
    server = FakeTelegram()
    yield server
    server.close()


def run(settings: Settings, *args: str):
    return CliRunner().invoke(shop, ["telegram", *args], obj=AppContext(settings), catch_exceptions=False)


def telegram_settings(fake: FakeTelegram, **changes) -> Settings:
    values = dict(
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        telegram_webhook_url="https://shop.example/telegram/webhook",
        telegram_webhook_secret="a-good_secret",
    )
    return Settings(**{**values, **changes})


def test_set_webhook_registers_the_url_with_the_secret(fake):
    result = run(telegram_settings(fake), "set-webhook")
    assert result.exit_code == 0, result.output
    assert fake.webhook["url"] == "https://shop.example/telegram/webhook"
    assert fake.webhook["secret_token"] == "a-good_secret"
    assert "message" in fake.webhook["allowed_updates"] and "callback_query" in fake.webhook["allowed_updates"]


def test_delete_webhook_goes_back_to_polling(fake):
    run(telegram_settings(fake), "set-webhook")
    result = run(telegram_settings(fake), "delete-webhook", "--drop-pending-updates")
    assert result.exit_code == 0 and fake.webhook is None
    assert fake.calls_to("deleteWebhook")[-1].params["drop_pending_updates"] is True


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"telegram_webhook_secret": ""}, "needs TELEGRAM_WEBHOOK_SECRET"),
        ({"telegram_webhook_secret": "has spaces!"}, "must be 1-256 characters"),
        ({"telegram_webhook_url": ""}, "TELEGRAM_WEBHOOK_URL is not set"),
        ({"telegram_bot_token": ""}, "TELEGRAM_BOT_TOKEN is not set"),
    ],
)
def test_set_webhook_refuses_an_unguarded_or_incomplete_configuration(fake, changes, error):
    calls = len(fake.calls)
    result = run(telegram_settings(fake, **changes), "set-webhook")
    assert result.exit_code == 1 and error in result.output
    assert len(fake.calls) == calls


def test_errors_never_show_the_token(fake):
    result = run(telegram_settings(fake, telegram_bot_token="999:wrong-token-value"), "set-webhook")
    assert result.exit_code == 1 and "Unauthorized" in result.output and "wrong-token-value" not in result.output
    unreachable = telegram_settings(fake, telegram_api_base_url="http://127.0.0.1:9/bot")
    result = run(unreachable, "delete-webhook")
    assert result.exit_code == 1 and "did not answer" in result.output and fake.token not in result.output
