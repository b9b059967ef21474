"""Telegram payments in the gateway: invoices from the outbox, the pre-checkout check, the payment itself.

The checks and the bookkeeping live in checkout/payments/telegram_*.py; here they meet the Bot API."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, LabeledPrice, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.gateway import Gateway
from bot.telegram.gateway import CHANNEL, gateway
from checkout.payments.registry import offered_methods
from checkout.payments.telegram.checks import PreCheckout, pre_checkout_refusal
from checkout.payments.telegram.delivery import invoice_refused, invoice_to_send
from checkout.payments.telegram.events import TelegramCharge, apply_successful_payment

log = logging.getLogger(__name__)

# Telegram waits 10 seconds for the answer to a pre-checkout query; ours goes out within 5, whatever happens.
PRE_CHECKOUT_DEADLINE_SECONDS = 5.0
ANSWER_SECONDS = 1.0  # of the deadline, kept for sending the answer itself
# A payment that could not be recorded (the database away for a moment) is tried again, this often.
RECORD_ATTEMPTS, RECORD_RETRY_SECONDS = 4, 1.0


class InvoiceNotSent(Exception):
    """The invoice must not (or cannot) go out: said why, for the outbox row. `refused`: the shopper still
    waits for it, so they are told and offered the other ways to pay."""

    def __init__(self, reason: str, refused: bool = False) -> None:
        super().__init__(reason)
        self.refused = refused


async def send_invoice(bot: Bot, gw: Gateway, chat_id: int | str, dedupe_key: str | None) -> Message:
    """Sends the invoice an outbox row stands for. Raises InvoiceNotSent when there is nothing to send any more
    (the order was paid, cancelled or expired meanwhile) or no provider token to send it with."""
    if not gw.settings.telegram_payment_provider_token:
        raise InvoiceNotSent("TELEGRAM_PAYMENT_PROVIDER_TOKEN is not set for the gateway", refused=True)
    invoice = await asyncio.to_thread(_invoice, gw, dedupe_key)
    if invoice is None:
        raise InvoiceNotSent("its order no longer awaits this payment")
    return await bot.send_invoice(
        chat_id,
        title=invoice["title"],
        description=invoice["description"],
        payload=invoice["payload"],
        currency=invoice["currency"],
        prices=[LabeledPrice(p["label"], p["amount"]) for p in invoice["prices"]],
        provider_token=gw.settings.telegram_payment_provider_token,
        start_parameter=invoice.get("start_parameter"),
    )


def refuse_invoice(gw: Gateway, dedupe_key: str | None, error: str) -> None:
    """Telegram refused the invoice for good: the attempt fails and the shopper is offered the other ways."""
    with gw.db.transaction() as session:
        invoice_refused(session, dedupe_key, error, offered_methods(gw.settings, CHANNEL))


async def pre_checkout_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram asks whether to take the money: yes only for an order its shopper can still pay, at its price."""
    query = update.pre_checkout_query
    assert query is not None  # PreCheckoutQueryHandler: only pre-checkout queries come here
    request = PreCheckout(query.invoice_payload, query.from_user.id, query.total_amount, query.currency)
    try:
        refusal = await asyncio.wait_for(
            asyncio.to_thread(pre_checkout_refusal, gateway(context).db, request),
            PRE_CHECKOUT_DEADLINE_SECONDS - ANSWER_SECONDS,
        )
    except TimeoutError:
        # A late "yes" could take money for an order cancelled meanwhile; a quick "no" costs a second tap.
        log.warning("pre-checkout query %s: the check took too long; refused", query.id)
        refusal = texts.PAYMENT_NOT_CONFIRMED
    except Exception:  # noqa: BLE001 - whatever failed, the shopper gets an answer, and no money is taken
        log.exception("pre-checkout query %s: the check failed; refused", query.id)
        refusal = texts.PAYMENT_NOT_CONFIRMED
    try:
        await query.answer(ok=refusal is None, error_message=refusal)
    except TelegramError as exc:
        log.warning("pre-checkout query %s not answered: %s", query.id, exc)


async def successful_payment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The money was taken: the order is marked paid (once), or flagged for the seller when it does not fit."""
    message = update.effective_message
    assert message is not None and message.successful_payment is not None  # filters.SUCCESSFUL_PAYMENT
    paid = message.successful_payment
    user = update.effective_user
    charge = TelegramCharge(
        paid.invoice_payload,
        user.id if user else None,
        paid.total_amount,
        paid.currency,
        paid.telegram_payment_charge_id,
        paid.provider_payment_charge_id,
    )
    gw = gateway(context)
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            outcome = await asyncio.to_thread(apply_successful_payment, gw.db, charge)
        except Exception:  # noqa: BLE001 - a charge is money taken: keep trying, then leave its ids in the log
            if attempt == RECORD_ATTEMPTS:
                log.exception(
                    "Telegram charge %s (provider charge %s) could not be recorded: mark its order paid by hand",
                    charge.telegram_charge_id,
                    charge.provider_charge_id,
                )
                return
            log.warning(
                "Telegram charge %s not recorded yet (try %d); trying again",
                charge.telegram_charge_id,
                attempt,
                exc_info=True,
            )
            await asyncio.sleep(RECORD_RETRY_SECONDS * attempt)
            continue
        log.info("Telegram charge %s: %s", charge.telegram_charge_id, outcome)
        return


def _invoice(gw: Gateway, dedupe_key: str | None) -> dict | None:
    with gw.db.reading() as session:
        return invoice_to_send(session, dedupe_key)
