"""`shop payments reconcile`: ask Stripe about the sessions of orders still awaiting payment, and apply what it
says, for webhooks that never arrived (endpoint down, secret rotated, events dropped)."""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from sqlalchemy import select

from checkout.db.database import Database
from checkout.db.models import Order, Payment
from checkout.payments.attempts import OPEN_STATUSES
from checkout.payments.stripe.api import stripe_client
from checkout.payments.stripe.events import COMPLETED, EXPIRED, PROVIDER, apply_session_state
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
