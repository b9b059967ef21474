"""Paying by Telegram invoice through the gateway process (`python -m bot`) and our fake Bot API server: the
invoice the gateway sends, Telegram's pre-checkout query for every reason to refuse it, and successful_payment
applied exactly once. Updates arrive through getUpdates, as from Telegram."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from checkout.carts import add_to_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import AuditLog, Order, OutboxMessage, Payment, Variant
from checkout.orders.lifecycle import change_status, release_stock
from checkout.orders.placement import DeliveryDetails, place_order
from checkout.payments.telegram import checks as refusals
from checkout.payments.telegram.provider import INVOICE_KIND, TelegramInvoiceProvider
from checkout.settings import Settings
from cli.processes import Supervisor
from tests.fake_rasa import FakeRasa
from tests.fake_telegram import FakeTelegram
from tests.integration.orm_builders import load_demo_catalog
from tests.telegram_chat import TelegramChat, buttons_of, start_gateway, stop_gateway, text_of

PROVIDER_TOKEN = "284685063:TEST:fake-provider-token-Zm9v"
SELLER_CHAT = -100600
_users = itertools.count(71_000)


@dataclass
class Env:
    """The shop's database, the fake Bot API and the gateway process (`python -m bot`) polling it."""

    db: Database
    fake: FakeTelegram
    settings: Settings
    log_path: Path
    gateway: Supervisor


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("telegram-payments")
    url = f"sqlite:///{tmp / 'shop.db'}"
    upgrade(url)
    db = Database(url)
    load_demo_catalog(db)
    rasa, fake = (
        FakeRasa(lambda body: [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}]),
        FakeTelegram(),
    )
    settings = Settings(
        database_url=url,
        rasa_port=rasa.port,
        log_level="DEBUG",
        shop_payment_methods="telegram,manual",
        telegram_payment_provider_token=PROVIDER_TOKEN,
    )
    log_path = tmp / "gateway.log"
    gateway = start_gateway(settings, fake, log_path, TELEGRAM_SELLER_CHAT_ID=str(SELLER_CHAT))
    yield Env(db=db, fake=fake, settings=settings, log_path=log_path, gateway=gateway)
    stop_gateway(gateway)
    rasa.close()
    fake.close()
    db.dispose()


@pytest.fixture
def chat(env):
    return TelegramChat(env.fake, next(_users))


def place(env, chat, lines=(("STK-PACK", 2), ("TOTE-CNV-NAT", 1))) -> str:
    """An order placed in this Telegram chat, as the checkout places it (stock reserved)."""
    with env.db.transaction() as session:
        customer = identify(session, ShopperIdentity("telegram", str(chat.user["id"]), str(chat.chat_id)))
        for sku, quantity in lines:
            add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == sku)), quantity)
        details = DeliveryDetails("Marie Dupont", "+33612345678", "12 rue de la République, Lyon", None)
        return place_order(session, customer, None, details, "EUR").number


def invoiced(env, chat, number: str) -> dict:
    """ "Pay in Telegram" pressed: the action server's provider queues the invoice; the gateway sends it."""

    def sent():
        return [c for c in env.fake.calls_to("sendInvoice", chat.chat_id) if c.status == 200]

    before = len(sent())
    step = TelegramInvoiceProvider(env.settings).start_payment(env.db, number)
    assert number in step.instructions and "invoice" in step.instructions
    return env.fake.wait_for(lambda: sent()[before:], 15, "the invoice")[-1].params


def order(env, number: str) -> Order:
    with env.db.reading() as session:
        return session.scalar(select(Order).where(Order.number == number))


def attempts(env, number: str) -> list[Payment]:
    with env.db.reading() as session:
        return list(session.scalars(select(Payment).join(Order).where(Order.number == number).order_by(Payment.id)))


def seller_alerts(env) -> list[str]:
    return [text_of(c) for c in env.fake.delivered(SELLER_CHAT)]


def test_the_invoice_carries_the_order_lines_once_per_attempt(env, chat):
    number = place(env, chat)
    invoice = invoiced(env, chat, number)
    assert invoice["prices"] == [
        {"label": "2 × Sticker Pack", "amount": 900},
        {"label": "1 × Canvas Tote Bag (natural)", "amount": 1500},
    ]
    assert (invoice["currency"], invoice["title"], invoice["provider_token"]) == (
        "EUR",
        f"Order {number}",
        PROVIDER_TOKEN,
    )
    [attempt] = attempts(env, number)
    assert invoice["payload"] == attempt.idempotency_key and len(invoice["payload"].encode()) <= 128
    assert number not in invoice["payload"] and str(chat.chat_id) not in invoice["payload"]
    # Pressed again (or the action retried): the same attempt, and no second invoice.
    TelegramInvoiceProvider(env.settings).start_payment(env.db, number)

    def invoice_rows():  # the gateway marks the row sent just after Telegram accepted the invoice
        with env.db.reading() as session:
            rows = session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind == INVOICE_KIND, OutboxMessage.recipient == str(chat.chat_id)
                )
            ).all()
        return rows if all(r.status != "sending" for r in rows) else None

    assert [r.status for r in env.fake.wait_for(invoice_rows, 10, "the invoice row to settle")] == ["sent"]
    assert len(env.fake.calls_to("sendInvoice", chat.chat_id)) == 1 and len(attempts(env, number)) == 1


def test_the_shopper_who_placed_the_order_may_pay_it(env, chat):
    invoice = invoiced(env, chat, place(env, chat))
    answer = chat.pre_checkout(invoice)
    assert answer["ok"] is True and "error_message" not in answer
    assert answer["after"] < 2


def test_another_telegram_user_is_refused(env, chat):
    invoice = invoiced(env, chat, place(env, chat))
    stranger = TelegramChat(env.fake, next(_users), first_name="Eve")
    answer = chat.pre_checkout(invoice, **{"from": stranger.user})
    assert answer["ok"] is False and answer["error_message"] == refusals.NOT_YOURS


@pytest.mark.parametrize("changes", [{"total_amount": 100}, {"total_amount": 2401}, {"currency": "USD"}])
def test_another_amount_or_currency_is_refused(env, chat, changes):
    number = place(env, chat)
    answer = chat.pre_checkout(invoiced(env, chat, number), **changes)
    assert answer["ok"] is False and answer["error_message"] == refusals.AMOUNT_CHANGED.format(number=number)


@pytest.mark.parametrize("status", ["cancelled", "expired"])
def test_a_cancelled_or_expired_order_is_refused(env, chat, status):
    number = place(env, chat)
    invoice = invoiced(env, chat, number)
    with env.db.transaction() as session:
        change_status(session, session.scalar(select(Order).where(Order.number == number)), status, "test")
    answer = chat.pre_checkout(invoice)
    assert answer["ok"] is False
    assert answer["error_message"] == refusals.NO_LONGER_PAYABLE.format(number=number, status=status)


def test_an_order_whose_stock_went_back_is_refused(env, chat):
    number = place(env, chat)
    invoice = invoiced(env, chat, number)
    with env.db.transaction() as session:
        release_stock(session, session.scalar(select(Order).where(Order.number == number)))
    answer = chat.pre_checkout(invoice)
    assert answer["ok"] is False and answer["error_message"] == refusals.NOT_RESERVED.format(number=number)


def test_an_unknown_or_already_paid_invoice_is_refused(env, chat):
    number = place(env, chat)
    invoice = invoiced(env, chat, number)
    assert (
        chat.pre_checkout(invoice, invoice_payload="tgi1-not-an-attempt-of-ours")["error_message"]
        == refusals.UNKNOWN_INVOICE
    )
    env.fake.push(chat.successful_payment_update(invoice))
    env.fake.wait_for(lambda: order(env, number).status == "paid", 15, "the order paid")
    answer = chat.pre_checkout(invoice)
    assert answer["ok"] is False and answer["error_message"] == refusals.ALREADY_PAID.format(number=number)


def test_a_successful_payment_marks_the_order_paid_exactly_once(env, chat):
    number = place(env, chat)
    invoice = invoiced(env, chat, number)
    assert chat.pre_checkout(invoice)["ok"] is True
    env.fake.push(chat.successful_payment_update(invoice, charge_id="tg-charge-once"))
    notice = f"Payment received for order {number}"
    env.fake.wait_for(lambda: any(notice in text_of(c) for c in chat.delivered()), 15, "the paid notice")
    env.fake.push(chat.successful_payment_update(invoice, charge_id="tg-charge-once"))  # the same charge again
    # A chat's updates are handled in order: once this is answered, the repeated charge was handled too.
    assert chat.say("anything else?") == "echo: anything else?"
    paid = order(env, number)
    assert paid.status == "paid" and paid.paid_at is not None and paid.flagged_reason is None
    [attempt] = attempts(env, number)
    assert attempt.status == "paid" and attempt.reference == "tg-charge-once"
    assert attempt.provider_data["telegram_payment_charge_id"] == "tg-charge-once"
    assert attempt.provider_data["provider_payment_charge_id"] == "ch_once"
    with env.db.reading() as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.entity_id == number)).all()
        notices = session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.order_id == paid.id, OutboxMessage.channel == "telegram")
        ).all()
    assert actions.count("order.paid") == 1 and sorted(notices) == ["order_paid", INVOICE_KIND]
    assert not any(number in alert and "needs a look" in alert for alert in seller_alerts(env))


def test_a_payment_of_another_amount_is_flagged_for_the_seller_not_marked_paid(env, chat):
    number = place(env, chat)
    invoice = invoiced(env, chat, number)
    env.fake.push(chat.successful_payment_update(invoice, charge_id="tg-charge-short", total_amount=100))
    env.fake.wait_for(
        lambda: any(number in a and "needs a look" in a for a in seller_alerts(env)), 15, "the seller's alert"
    )
    flagged = order(env, number)
    assert flagged.status == "awaiting_payment" and "€1.00" in flagged.flagged_reason
    [attempt] = attempts(env, number)
    assert (attempt.status, attempt.reference) == ("flagged", "tg-charge-short")
    assert attempt.provider_data["provider_payment_charge_id"] == "ch_short"
    env.fake.wait_for(
        lambda: any("does not match" in text_of(c) or "order total is" in text_of(c) for c in chat.delivered()),
        15,
        "the shopper told the seller will check",
    )


def test_a_payment_after_the_order_was_cancelled_is_kept_and_flagged(env, chat):
    number = place(env, chat)
    invoice = invoiced(env, chat, number)
    assert chat.pre_checkout(invoice)["ok"] is True
    with env.db.transaction() as session:  # cancelled between Telegram's question and the payment
        change_status(session, session.scalar(select(Order).where(Order.number == number)), "cancelled", "test")
    env.fake.push(chat.successful_payment_update(invoice, charge_id="tg-charge-late"))
    env.fake.wait_for(
        lambda: any(number in a and "refund it or ship it" in a for a in seller_alerts(env)), 15, "the seller's alert"
    )
    assert order(env, number).status == "cancelled"
    assert [(p.status, p.reference) for p in attempts(env, number)] == [("paid", "tg-charge-late")]


def test_an_invoice_telegram_refuses_offers_the_other_ways_to_pay(env, chat):
    number = place(env, chat)
    env.fake.fail_next("sendInvoice", 400, retry_after=None, description="Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID")
    TelegramInvoiceProvider(env.settings).start_payment(env.db, number)
    told = env.fake.wait_for(lambda: [c for c in chat.delivered() if number in text_of(c)], 15, "the shopper told")
    assert "could not be sent" in text_of(told[0])
    assert [b["text"] for b in buttons_of(told[0])] == ["Bank transfer or cash on delivery"]
    env.fake.wait_for(
        lambda: any(number in a and "currency_total_amount_invalid" in a.lower() for a in seller_alerts(env)),
        15,
        "the seller's alert",
    )
    assert [p.status for p in attempts(env, number)] == ["failed"]
    assert order(env, number).status == "awaiting_payment"
    invoice = invoiced(env, chat, number)  # pressed again: a new attempt, and this time the invoice goes out
    assert [p.status for p in attempts(env, number)] == ["failed", "pending"]
    assert invoice["payload"] == attempts(env, number)[1].idempotency_key


def test_the_provider_token_never_appears_in_the_gateway_log(env):
    log = env.log_path.read_text()
    assert "sendInvoice" in log  # DEBUG logging was on and logged the request
    assert PROVIDER_TOKEN not in log and PROVIDER_TOKEN.split(":", 1)[1] not in log
