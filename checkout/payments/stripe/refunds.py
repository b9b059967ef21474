"""Stripe refunds: asking Stripe's Refunds API for a refund recorded by checkout.payments.refunds, and applying what
Stripe says about it (the answer, the `refund.*` and `charge.refunded` webhook events, `shop payments reconcile`).

No database transaction is held while Stripe answers. A refund Stripe never answered about stays `requesting` with
its idempotency key and exact request, so asking again gets Stripe's answer to that very request (one refund).
Stripe's answer or events are applied under a lock on the order row, each change conditional on the refund's
state, so any number of deliveries in any order end in the same state."""

from __future__ import annotations

import logging
from typing import cast

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session
from stripe.params import RefundCreateParams

from checkout.db.database import Database
from checkout.db.models import Order, Payment, Refund
from checkout.payments.refund_settling import IN_PROGRESS, STRIPE, lock_order, refund_failed, refund_succeeded
from checkout.payments.refunds import RefundUnavailable, stripe_refund_request
from checkout.payments.stripe.api import stripe_client
from checkout.settings import Settings
from checkout.statuses import RefundStatus

log = logging.getLogger(__name__)
CHARGE_REFUNDED = "charge.refunded"
# Events carrying a Refund object; charge.refund.updated is the older name of refund.updated.
REFUND_OBJECT_KINDS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
REFUND_KINDS = (CHARGE_REFUNDED, *REFUND_OBJECT_KINDS)
FAILED_STATUSES = ("failed", "canceled")
# Errors after which Stripe made no refund for certain: the request was invalid or refused. Anything else (no
# answer, 5xx, rate limit) may have made one, so the refund stays `requesting` and is asked again with its key.
REFUSALS = (stripe.InvalidRequestError, stripe.CardError, stripe.PermissionError)


def ask_stripe(
    db: Database, settings: Settings, number: str, refund_ids: list[int], client: object | None = None
) -> None:
    """Asks Stripe for each `requesting` refund. Raises RefundUnavailable when Stripe could not be reached (asked
    again later with the same key) or refused or failed it (the refund is `failed`)."""
    if client is None and not settings.stripe_secret_key:
        raise RefundUnavailable(number, "STRIPE_SECRET_KEY is not set, so Stripe cannot be asked", retry=True)
    api = cast(stripe.StripeClient, client) if client is not None else stripe_client(settings)
    for refund_id in refund_ids:
        with db.reading() as session:
            refund = session.get_one(Refund, refund_id)
            key, request, payment_id = refund.idempotency_key, refund.request, refund.payment_id
            session_id = session.scalar(select(Payment.reference).where(Payment.id == payment_id))
        try:
            if request is None:  # the payment intent was not kept (an older payment, or its data erased)
                request = _request_from_session(db, api, number, refund_id, session_id)
            answer = api.v1.refunds.create(
                params=cast(RefundCreateParams, request), options={"idempotency_key": key or ""}
            )
        except REFUSALS as exc:
            reason = exc.user_message or str(exc)
            log.error("stripe refused the refund of order %s: %s", number, reason)
            with db.transaction() as session:
                refund = _locked_refund(session, refund_id)
                refund_failed(session, refund, f"Stripe refused it: {reason}", cause=refund.requested_by)
            raise RefundUnavailable(number, f"Stripe refused the refund: {reason}", retry=False) from exc
        except stripe.StripeError as exc:
            log.warning("no answer from stripe about the refund of order %s: %s", number, exc)
            raise RefundUnavailable(
                number,
                "Stripe could not be reached; asked again, the same request goes with the same key, so Stripe makes "
                "one refund",
                retry=True,
            ) from exc
        with db.transaction() as session:
            refund = _locked_refund(session, refund_id)
            outcome = apply_refund_object(session, refund, answer.to_dict(), cause=refund.requested_by, confirms=False)
            failure = refund.failure_reason if outcome == "refund failed" else None
        if failure:
            raise RefundUnavailable(number, f"Stripe could not refund it: {failure}", retry=False)


def _request_from_session(
    db: Database, api: stripe.StripeClient, number: str, refund_id: int, session_id: str | None
) -> dict:
    """The refund request, with the payment intent read from the payment's Checkout Session; stored before use."""
    payment_intent = None
    if session_id and session_id.startswith("cs_"):
        payment_intent = _id(api.v1.checkout.sessions.retrieve(session_id).to_dict().get("payment_intent"))
    with db.transaction() as session:
        refund = _locked_refund(session, refund_id)
        if refund.request is not None:  # another run got there first
            return refund.request
        if payment_intent is None:
            refund_failed(session, refund, "Stripe holds no payment for it", cause=refund.requested_by)
        else:
            refund.request = stripe_refund_request(number, payment_intent)
            refund.provider_payment_id = payment_intent
    if payment_intent is None:
        raise RefundUnavailable(number, f"Stripe holds no payment for session {session_id}", retry=False)
    return stripe_refund_request(number, payment_intent)


def _locked_refund(session: Session, refund_id: int) -> Refund:
    order_id = session.scalars(select(Refund.order_id).where(Refund.id == refund_id)).one()
    lock_order(session, order_id)
    return session.get_one(Refund, refund_id, populate_existing=True)


def apply_refund_event(session: Session, kind: str, data: dict, cause: str) -> str:
    """Applies one webhook event about a refund (inside the transaction that records the event)."""
    if kind == CHARGE_REFUNDED:
        return _charge_refunded(session, data, cause)
    refund = _refund_of(session, data)
    if refund is None:
        return "ignored"  # a refund made at Stripe, not from the shop, or another integration's
    lock_order(session, refund.order_id)
    session.refresh(refund)
    return apply_refund_object(session, refund, data, cause)


def apply_refund_object(session: Session, refund: Refund, data: dict, cause: str, confirms: bool = True) -> str:
    """What Stripe says about one refund (its Refund object), applied to our row; under the order's row lock.

    `confirms`: False for the answer to our request, whose `succeeded` leaves the refund pending: the order is
    refunded by Stripe's event (or `shop payments reconcile`), one place for it to happen, once."""
    if refund.reference is None and isinstance(data.get("id"), str):
        refund.reference = data["id"]
    if refund.provider_payment_id is None:
        refund.provider_payment_id = _id(data.get("payment_intent"))
    amount = data.get("amount")
    if isinstance(amount, int) and not isinstance(amount, bool) and refund.status in IN_PROGRESS:
        refund.amount_minor = amount  # what Stripe gives back: the whole charge, which a flagged payment may differ
    status = data.get("status")
    if status == "succeeded" and confirms:
        return refund_succeeded(session, refund, cause)
    if status in FAILED_STATUSES:
        return refund_failed(session, refund, str(data.get("failure_reason") or status), cause)
    if refund.status == RefundStatus.REQUESTING:
        refund.status = RefundStatus.PENDING  # Stripe has it; its event says how it ends
    return "refund pending" if refund.status in IN_PROGRESS else "unchanged"


def _refund_of(session: Session, data: dict) -> Refund | None:
    """Our row for Stripe's refund: by its id, or else the request still waiting for Stripe's answer (a timeout)
    on the same payment intent."""
    refund_id, payment_intent = data.get("id"), _id(data.get("payment_intent"))
    if isinstance(refund_id, str) and refund_id:
        found = session.scalar(select(Refund).where(Refund.method == STRIPE, Refund.reference == refund_id))
        if found is not None:
            return found
    if payment_intent is None:
        return None
    return session.scalar(
        select(Refund)
        .where(
            Refund.method == STRIPE,
            Refund.provider_payment_id == payment_intent,
            Refund.status == RefundStatus.REQUESTING,
            Refund.reference.is_(None),
        )
        .order_by(Refund.id.desc())
        .limit(1)
    )


def _charge_refunded(session: Session, charge: dict, cause: str) -> str:
    """charge.refunded: with `refunded` true the whole charge went back, which is what our refunds ask for."""
    payment_intent = _id(charge.get("payment_intent"))
    if payment_intent is None:
        return "ignored"
    order_id = session.scalar(
        select(Refund.order_id).where(Refund.method == STRIPE, Refund.provider_payment_id == payment_intent).limit(1)
    )
    if order_id is None:
        return "ignored"
    if not charge.get("refunded"):
        return "partly refunded"  # not one of ours: they take the whole charge
    lock_order(session, order_id)
    under_way = session.scalars(
        select(Refund)
        .where(
            Refund.method == STRIPE,
            Refund.provider_payment_id == payment_intent,
            Refund.status.in_(IN_PROGRESS),
        )
        .order_by(Refund.id)
        .execution_options(populate_existing=True)
    ).all()
    if not under_way:
        return "already refunded"
    outcome = "unchanged"
    for refund in under_way:
        outcome = refund_succeeded(session, refund, cause)
    return outcome


def pending_stripe_refunds(session: Session) -> list[tuple[str, str]]:
    """(order number, Stripe refund id) of the refunds Stripe took and has not yet said how they ended."""
    rows = session.execute(
        select(Order.number, Refund.reference)
        .join(Refund, Refund.order_id == Order.id)
        .where(Refund.method == STRIPE, Refund.status == RefundStatus.PENDING, Refund.reference.is_not(None))
        .order_by(Refund.id)
    ).all()
    return [(number, reference) for number, reference in rows if reference is not None]


def _id(value: object) -> str | None:
    """A Stripe id as an event or answer gives it: a string, or an expanded object with its id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None
