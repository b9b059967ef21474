"""`shop payments reconcile`: ask Stripe about the sessions of orders still awaiting payment, and about refunds
still pending, and apply what it says, for webhooks that never arrived (endpoint down, secret rotated, events
dropped, or the refund events not chosen for the endpoint)."""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from sqlalchemy import select

from checkout.db.database import Database
from checkout.db.models import Order, Payment
from checkout.payments.attempts import OPEN_STATUSES
from checkout.payments.stripe.api import stripe_client
from checkout.payments.stripe.events import COMPLETED, EXPIRED, PROVIDER, apply_session_state
from checkout.payments.stripe.refunds import apply_refund_event, pending_stripe_refunds
from checkout.settings import Settings
from checkout.statuses import OrderStatus

# A Checkout Session's status (Stripe: "open", "complete", "expired", or null) -> the state to apply.
SESSION_KINDS: dict[str | None, str] = {"complete": COMPLETED, "expired": EXPIRED}


@dataclass(frozen=True)
class Reconciled:
    order_number: str
    session_id: str
    outcome: str  # what was applied ("paid", "expired", ...), "open", or "error: ..."


def reconcile_stripe(db: Database, settings: Settings, client: stripe.StripeClient | None = None) -> list[Reconciled]:
    client = client or stripe_client(settings)
    with db.reading() as session:
        rows = session.execute(
            select(Order.number, Payment.reference)
            .join(Payment, Payment.order_id == Order.id)
            .where(
                Order.status == OrderStatus.AWAITING_PAYMENT,
                Payment.method == PROVIDER,
                Payment.reference.is_not(None),
                Payment.status.in_(OPEN_STATUSES),
            )
            .order_by(Payment.id)
        ).all()
    results = []
    for number, session_id in rows:
        if session_id is None:  # never: the query asks for references; this tells the type checker
            continue
        try:
            checkout = client.v1.checkout.sessions.retrieve(session_id).to_dict()
        except stripe.StripeError as exc:
            results.append(Reconciled(number, session_id, f"error: {exc.user_message or exc}"))
            continue
        kind = SESSION_KINDS.get(checkout.get("status"))
        if kind is None:
            results.append(Reconciled(number, session_id, "open"))
            continue
        with db.transaction() as session:
            outcome = apply_session_state(session, kind, checkout, cause=f"reconcile:{session_id}")
        results.append(Reconciled(number, session_id, outcome))
    return results


def reconcile_stripe_refunds(
    db: Database, settings: Settings, client: stripe.StripeClient | None = None
) -> list[Reconciled]:
    """Asks Stripe about each refund it took and has not confirmed, and applies what it says (refunded, failed,
    still pending) as the refund's webhook event would have. `session_id` of each result is the refund's id."""
    client = client or stripe_client(settings)
    with db.reading() as session:
        rows = pending_stripe_refunds(session)
    results = []
    for number, refund_id in rows:
        try:
            refund = client.v1.refunds.retrieve(refund_id).to_dict()
        except stripe.StripeError as exc:
            results.append(Reconciled(number, refund_id, f"error: {exc.user_message or exc}"))
            continue
        with db.transaction() as session:
            outcome = apply_refund_event(session, "refund.updated", refund, cause=f"reconcile:{refund_id}")
        results.append(Reconciled(number, refund_id, outcome))
    return results
