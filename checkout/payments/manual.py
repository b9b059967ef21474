"""The embedded default: bank transfer or cash on delivery; the seller marks the order paid by hand."""

from __future__ import annotations

from sqlalchemy import select

from checkout.db.database import Database
from checkout.db.models import Payment
from checkout.payments.attempts import order_awaiting_payment
from checkout.payments.base import PaymentStep
from checkout.statuses import PaymentStatus


class ManualProvider:
    name = "manual"

    def __init__(self, instructions: str):
        self.instructions = instructions

    def start_payment(self, db: Database, order_number: str) -> PaymentStep:
        with db.transaction() as session:
            order = order_awaiting_payment(session, order_number, lock=True)  # a double tap makes one row
            payment = session.scalar(select(Payment).where(Payment.order_id == order.id, Payment.method == self.name))
            if payment is None:
                # The order number is the transfer reference the seller matches on their bank statement.
                session.add(
                    Payment(
                        order_id=order.id,
                        method=self.name,
                        status=PaymentStatus.PENDING,
                        amount_minor=order.total_minor,
                        currency=order.currency,
                        reference=order.number,
                    )
                )
        return PaymentStep(self.name, self.instructions)
