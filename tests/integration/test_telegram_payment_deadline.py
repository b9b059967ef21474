"""The pre-checkout deadline: Telegram waits 10 seconds for our answer, and ours goes out within 5 whatever the
check does. The gateway's application runs in this test process (its own event loop in a thread) against the
fake Bot API, so a test can make our own check slow or failing; updates still arrive through getUpdates."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from telegram import Update

import bot.telegram.payments
from bot import texts
from bot.outbox import deliver_forever
from bot.telegram.application import build_application
from bot.telegram.delivery import TelegramSender
from checkout.carts import add_to_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import Variant
from checkout.orders.placement import DeliveryDetails, place_order
from checkout.payments.telegram.provider import TelegramInvoiceProvider
from checkout.settings import Settings
from tests.fake_rasa import FakeRasa
from tests.fake_telegram import FakeTelegram
from tests.integration.orm_builders import load_demo_catalog
from tests.telegram_chat import TelegramChat

PROVIDER_TOKEN = "284685063:TEST:fake-provider-token-deadline"
_users = itertools.count(72_000)


@dataclass
class Env:
    """The shop's database and the fake Bot API the in-process gateway polls."""

    db: Database
    fake: FakeTelegram
    settings: Settings


class InProcessGateway:
    def __init__(self, settings: Settings):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.application = build_application(settings)
        self._run(self._start())
        gateway = self.application.bot_data["gateway"]
        self.outbox = asyncio.run_coroutine_threadsafe(
            deliver_forever(gateway, TelegramSender(self.application.bot, gateway)), self.loop
        )

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    async def _start(self) -> None:
        await self.application.initialize()
        await self.application.start()
        await self.application.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=1)

    async def _stop(self) -> None:
        await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()
        await self.application.bot_data["gateway"].close()

    def stop(self) -> None:
        self.outbox.cancel()
        self._run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("telegram-deadline")
    url = f"sqlite:///{tmp / 'shop.db'}"
    upgrade(url)
    db = Database(url)
    load_demo_catalog(db)
    rasa, fake = FakeRasa(lambda body: []), FakeTelegram()
    settings = Settings(
        database_url=url,
        rasa_port=rasa.port,
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        telegram_payment_provider_token=PROVIDER_TOKEN,
        shop_payment_methods="telegram,manual",
    )
    gateway = InProcessGateway(settings)
    yield Env(db=db, fake=fake, settings=settings)
    gateway.stop()
    rasa.close()
    fake.close()
    db.dispose()


def invoice_for_new_order(env) -> tuple[TelegramChat, dict]:
    chat = TelegramChat(env.fake, next(_users))
    with env.db.transaction() as session:
        customer = identify(session, ShopperIdentity("telegram", str(chat.user["id"]), str(chat.chat_id)))
        add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == "BEAN-RIB-BLK")), 1)
        details = DeliveryDetails("Marie Dupont", "+33612345678", "12 rue de la République, Lyon", None)
        number = place_order(session, customer, None, details, "EUR").number
    TelegramInvoiceProvider(env.settings).start_payment(env.db, number)
    [call] = env.fake.wait_for(lambda: env.fake.calls_to("sendInvoice", chat.chat_id), 15, "the invoice")
    return chat, call.params


def test_a_check_within_the_deadline_answers_yes(env):
    chat, invoice = invoice_for_new_order(env)
    answer = chat.pre_checkout(invoice)
    assert answer["ok"] is True and answer["after"] < 1


def test_a_slow_check_is_answered_no_within_five_seconds_and_never_late(env, monkeypatch):
    chat, invoice = invoice_for_new_order(env)
    finish = threading.Event()
    real_check = bot.telegram.payments.pre_checkout_refusal

    def slow_check(db, query):  # a database that takes 8 seconds to answer, then would say yes
        finish.wait(8)
        return real_check(db, query)

    monkeypatch.setattr(bot.telegram.payments, "pre_checkout_refusal", slow_check)
    answer = chat.pre_checkout(invoice, timeout=9)
    assert answer["ok"] is False and answer["error_message"] == texts.PAYMENT_NOT_CONFIRMED
    assert 3.5 < answer["after"] < 5.0
    finish.set()
    time.sleep(0.5)  # the check finishes now: its late "yes" must never be sent
    assert len(env.fake.pre_checkout_answers(answer["pre_checkout_query_id"])) == 1


def test_a_failing_check_answers_no_at_once(env, monkeypatch):
    chat, invoice = invoice_for_new_order(env)

    def broken_check(db, query):
        raise RuntimeError("database gone")

    monkeypatch.setattr(bot.telegram.payments, "pre_checkout_refusal", broken_check)
    answer = chat.pre_checkout(invoice)
    assert answer["ok"] is False and answer["error_message"] == texts.PAYMENT_NOT_CONFIRMED and answer["after"] < 1
