"""The embedded default: bank transfer or cash on delivery; the seller marks the order paid by hand."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import Order, Payment
from checkout.payments.base import PaymentStep


class ManualProvider:
    name = "manual"

    def __init__(self, instructions: str):
        self.instructions = instructions

    def start_payment(self, session: Session, order: Order) -> tuple[Payment, PaymentStep]:
        payment = session.scalar(select(Payment).where(Payment.order_id == order.id, Payment.method == self.name))
        if payment is None:
            # The order number is the transfer reference the seller matches on their bank statement.
            payment = Payment(order_id=order.id, method=self.name, status="pending", amount_minor=order.total_minor,
                              currency=order.currency, reference=order.number)
            session.add(payment)
            session.flush()
        return payment, PaymentStep(self.name, self.instructions)
