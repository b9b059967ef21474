"""Gateway parts that need no server: metadata, log redaction, per-chat ordering, URLs, configuration."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from telegram import Chat, Message, Update, User

from bot.logging_setup import REDACTED, RedactingFormatter, configure_logging
from bot.telegram.application import file_base_url
from bot.telegram.ordering import ChatOrderedUpdateProcessor
from bot.telegram.relay import shopper_metadata
from bot.telegram.webhook import listen_path
from checkout.settings import Settings, telegram_configuration_error

TOKEN = "123456789:AAFsecretPartOfTheToken_xyz"


def test_metadata_follows_the_rest_contract():
    user = User(42, "Lan", False, last_name="Nguyễn", username="lan_ng", language_code="vi")
    assert shopper_metadata(user, 7) == {
        "channel": "telegram",
        "user_id": 42,
        "first_name": "Lan",
        "last_name": "Nguyễn",
        "username": "lan_ng",
        "language_code": "vi",
        "message_id": 7,
    }


def test_the_token_and_its_secret_part_are_redacted_everywhere_in_a_line():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter([TOKEN, "webhook-secret-1"], "%(message)s"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.error("POST https://api.telegram.org/bot%s/getMe secret=webhook-secret-1", TOKEN)
        try:
            raise RuntimeError(f"failed: {TOKEN.split(':')[1]}")
        except RuntimeError:
            logger.exception("with traceback")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert TOKEN not in output and "AAFsecretPartOfTheToken_xyz" not in output and "webhook-secret-1" not in output
    assert output.count(REDACTED) == 3 and "getMe" in output


def test_httpx_request_lines_are_not_logged_at_info():
    configure_logging("DEBUG", [TOKEN])
    try:
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert logging.getLogger("bot").isEnabledFor(logging.DEBUG)
    finally:
        logging.getLogger().handlers[:] = []
        logging.getLogger().setLevel(logging.WARNING)


def update_for(chat_id: int, update_id: int) -> Update:
    chat = Chat(chat_id, "private")
    return Update(update_id, message=Message(update_id, None, chat, text="x"))


def test_updates_of_one_chat_run_in_order_and_other_chats_do_not_wait():
    processor = ChatOrderedUpdateProcessor(16)
    events: list[str] = []

    async def handle(name: str, seconds: float):
        events.append(f"start {name}")
        await asyncio.sleep(seconds)
        events.append(f"end {name}")

    async def scenario():
        await asyncio.gather(
            processor.process_update(update_for(1, 1), handle("a1", 0.2)),
            processor.process_update(update_for(1, 2), handle("a2", 0.0)),
            processor.process_update(update_for(2, 3), handle("b1", 0.0)),
        )

    asyncio.run(scenario())
    assert events.index("end a1") < events.index("start a2")  # same chat: strictly one after the other
    assert events.index("end b1") < events.index("end a1")  # another chat: not held up by the slow one
    assert len(processor._chats) == 0  # nothing kept for chats that went quiet


@pytest.mark.parametrize(
    "base, files",
    [
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("https://api.telegram.org/bot/", "https://api.telegram.org/file/bot"),
        ("http://local:9000", "http://local:9000/file/bot"),
    ],
)
def test_file_url_sits_beside_the_api_url(base, files):
    assert file_base_url(base) == files


def test_the_webhook_listens_on_the_public_urls_path():
    assert listen_path("https://shop.example/telegram/hook?x=1") == "/telegram/hook"
    assert listen_path("https://shop.example") == "/"


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({}, None),
        ({"telegram_bot_token": ""}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"telegram_webhook_url": "https://x/hook"}, "needs TELEGRAM_WEBHOOK_SECRET"),
        ({"telegram_webhook_url": "https://x/hook", "telegram_webhook_secret": "ok_secret-1"}, None),
        ({"telegram_webhook_url": "https://x/hook", "telegram_webhook_secret": "no spaces"}, "must be 1-256"),
    ],
)
def test_webhook_mode_never_runs_without_a_valid_secret(changes, problem):
    error = telegram_configuration_error(Settings(**{"telegram_bot_token": TOKEN, **changes}))
    assert (error is None) if problem is None else (problem in error)


@pytest.mark.parametrize(
    "webhook_url, ready_url", [("", None), ("https://shop.example/hook", "http://127.0.0.1:8443/healthz")]
)
def test_shop_run_starts_the_gateway_only_with_a_token(tmp_path, webhook_url, ready_url):
    from cli.run_command import process_specs

    base = Settings(rasa_api_token="t", telegram_webhook_url=webhook_url, telegram_webhook_secret="s")
    assert "telegram" not in [s.name for s in process_specs(base, tmp_path / "m.tar.gz", tmp_path / "e.yml")]
    specs = process_specs(base.replace(telegram_bot_token=TOKEN), tmp_path / "m.tar.gz", tmp_path / "e.yml")
    [gateway] = [s for s in specs if s.name == "telegram"]
    assert gateway.command[-2:] == ["-m", "bot.telegram"] and gateway.ready_url == ready_url
    assert gateway.env["TELEGRAM_BOT_TOKEN"] == TOKEN
