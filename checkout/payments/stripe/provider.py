"""Stripe Checkout: one hosted payment page (a Checkout Session) per attempt to pay an order.

Three steps, so no database transaction (on SQLite, the write lock) is held while Stripe answers:
1. reserve the attempt: its idempotency key and exact request are written first, or an open link is reused;
2. ask Stripe for the session with that key (a retried action, or a double tap, sends the same key and request,
   so Stripe answers with the same session instead of creating a second one);
3. store the session's id, URL and expiry on the attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

import stripe
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from stripe.params.checkout import SessionCreateParams

from checkout.db.database import Database
from checkout.db.models import Order, Payment, utcnow
from checkout.errors import InvalidTransition, PaymentUnavailable
from checkout.payments.attempts import order_awaiting_payment
from checkout.payments.base import PaymentStep
from checkout.payments.stripe.api import MIN_LIFETIME_MINUTES, checkout_expiry, checkout_session_params, stripe_client
from checkout.settings import Settings
from checkout.statuses import OrderStatus, PaymentStatus

log = logging.getLogger(__name__)
METHOD = "stripe"
# An open link is sent again only if the shopper still has this long to pay with it.
REUSE_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class Attempt:
    payment_id: int
    key: str
    request: dict


class StripeProvider:
    name = METHOD

    def __init__(self, settings: Settings, client: stripe.StripeClient | None = None):
        self.settings = settings
        self._client = client

    @property
    def client(self) -> stripe.StripeClient:
        if self._client is None:
            self._client = stripe_client(self.settings)
        return self._client

    def start_payment(self, db: Database, order_number: str) -> PaymentStep:
        reserved = self._reserve(db, order_number)
        if isinstance(reserved, PaymentStep):
            return reserved
        try:
            checkout = self.client.v1.checkout.sessions.create(
                # The request checkout_session_params() built, kept as JSON so a retry sends it unchanged.
                params=cast(SessionCreateParams, reserved.request),
                options={"idempotency_key": reserved.key},
            )
        except stripe.APIConnectionError as exc:
            # Stripe may or may not have made the session: the attempt keeps its key and request, so the next
            # try gets Stripe's answer to this very request instead of a second session.
            log.warning("stripe unreachable for order %s: %s", order_number, exc)
            raise PaymentUnavailable(METHOD, "Stripe could not be reached") from exc
        except stripe.StripeError as exc:
            log.error("stripe refused a session for order %s: %s", order_number, exc)
            self._fail(db, reserved.payment_id, str(exc))
            raise PaymentUnavailable(METHOD, "Stripe refused the payment page") from exc
        return self._store(db, reserved.payment_id, checkout)

    def withdraw_links(self, db: Database, order_number: str) -> int:
        """Expires the order's open payment links at Stripe (the order was cancelled), so nobody pays an order
        that will not ship. Best effort: a link Stripe could not expire now is paid into a flagged order at
        worst, which the seller refunds. Returns how many links were expired."""
        with db.reading() as session:
            links = list(
                session.scalars(
                    select(Payment.reference)
                    .join(Order, Order.id == Payment.order_id)
                    .where(
                        Order.number == order_number,
                        Payment.method == METHOD,
                        Payment.status == PaymentStatus.PENDING,
                        Payment.reference.is_not(None),
                    )
                )
            )
        expired = 0
        for session_id in links:
            if session_id is None:  # never: the query asks for references; this tells the type checker
                continue
            try:
                self.client.v1.checkout.sessions.expire(session_id)
                expired += 1
            except stripe.StripeError as exc:
                log.warning("could not expire stripe session %s of order %s: %s", session_id, order_number, exc)
        return expired

    def _reserve(self, db: Database, order_number: str) -> PaymentStep | Attempt:
        with db.transaction() as session:
            # Under the order's row lock, so a double tap waits for the first tap's attempt and reuses it
            # (without it, PostgreSQL's statements could each see a different moment and number two attempts).
            order = order_awaiting_payment(session, order_number, lock=True)
            return self._reserve_for(session, order)

    def _reserve_for(self, session: Session, order: Order) -> PaymentStep | Attempt:
        now = utcnow()
        attempts = list(
            session.scalars(
                select(Payment)
                .where(Payment.order_id == order.id, Payment.method == METHOD)
                .order_by(Payment.id.desc())
            )
        )
        for payment in attempts:
            still_open = payment.expires_at is not None and payment.expires_at > now + REUSE_MARGIN
            if payment.status == PaymentStatus.PENDING and payment.url and still_open:
                return PaymentStep(METHOD, "", payment.url, payment.expires_at)
        for payment in attempts:
            if payment.status != PaymentStatus.CREATING:
                continue
            if payment.expires_at and payment.expires_at > now + timedelta(minutes=MIN_LIFETIME_MINUTES):
                if payment.idempotency_key is None or payment.provider_data is None:
                    # Forgetting the customer erased the request: it cannot be sent again as it was, and a new
                    # request could open a second session beside one Stripe may have made; wait until too late.
                    raise PaymentUnavailable(METHOD, "an earlier attempt's request was erased with the customer")
                return Attempt(payment.id, payment.idempotency_key, payment.provider_data["request"])
            payment.status = PaymentStatus.FAILED  # too late for Stripe to accept the same request again
            payment.provider_data = {
                **(payment.provider_data or {}),
                "error": "abandoned: no answer from Stripe in time",
            }
        expires_at = checkout_expiry(now, self.settings.stripe_checkout_expires_minutes)
        request = checkout_session_params(order, self.settings, expires_at)
        number = (
            session.scalar(
                select(func.count()).select_from(Payment).where(Payment.order_id == order.id, Payment.method == METHOD)
            )
            or 0
        ) + 1
        key = f"checkout-{order.number}-stripe-{number}"
        payment = Payment(
            order_id=order.id,
            method=METHOD,
            status=PaymentStatus.CREATING,
            amount_minor=order.total_minor,
            currency=order.currency,
            idempotency_key=key,
            provider_data={"request": request},
            expires_at=expires_at,
        )
        session.add(payment)
        session.flush()
        return Attempt(payment.id, key, request)

    def _fail(self, db: Database, payment_id: int, error: str) -> None:
        with db.transaction() as session:
            payment = session.get_one(Payment, payment_id)
            if payment.status == PaymentStatus.CREATING:
                payment.status = PaymentStatus.FAILED
                payment.provider_data = {**(payment.provider_data or {}), "error": error[:500]}

    def _store(self, db: Database, payment_id: int, checkout: stripe.checkout.Session) -> PaymentStep:
        expires_at = datetime.fromtimestamp(checkout["expires_at"], UTC)
        with db.transaction() as session:
            # Only a reserved attempt becomes pending: a webhook may already have settled it.
            session.execute(
                update(Payment)
                .where(Payment.id == payment_id, Payment.status == PaymentStatus.CREATING)
                .values(status=PaymentStatus.PENDING)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(Payment)
                .where(Payment.id == payment_id)
                .values(reference=checkout["id"], url=checkout["url"], expires_at=expires_at, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            order = session.get_one(Payment, payment_id).order
        if (
            order.status != OrderStatus.AWAITING_PAYMENT
        ):  # cancelled while Stripe was answering: the link is kept, not sent
            raise InvalidTransition(order.number, order.status, OrderStatus.PAID)
        return PaymentStep(METHOD, "", checkout["url"], expires_at)
