"""The fixed words of an order's, a payment's and an outgoing message's life, as the database stores them.

StrEnum members are the strings themselves (`OrderStatus.PAID == "paid"`), so rows, JSON exports, templates and
audit entries read as before; code names them instead of spelling them."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class PaymentStatus(StrEnum):
    CREATING = "creating"  # the provider was asked and has not answered yet
    PENDING = "pending"  # the shopper has a link or instructions
    PROCESSING = "processing"  # paid by a method that settles later (a SEPA debit)
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    FLAGGED = "flagged"  # money arrived that the order cannot take (another amount, after a cancel): for a refund


class OutboxStatus(StrEnum):
    PENDING = "pending"  # to be sent
    SENDING = "sending"  # taken by a sender; back to pending if it dies before saying how it went
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent refusal or too many attempts


# Orders whose money the shop has: spending figures, "paid" pages.
SPENDING_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
