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
    REFUNDED = "refunded"  # the money went back (checkout/payments/refunds.py)


class RefundStatus(StrEnum):
    """A refund of one payment (or of an order paid with no payment row: marked paid by hand)."""

    REQUESTING = "requesting"  # Stripe was asked and has not answered yet: asked again with the same key
    PENDING = "pending"  # Stripe took the request; its webhook (or `shop payments reconcile`) says how it ended
    SUCCEEDED = "succeeded"  # the money went back (Stripe confirmed it; or the seller says so, with a reference)
    FAILED = "failed"  # Stripe refused or failed it; the payment can be refunded again


class OutboxStatus(StrEnum):
    PENDING = "pending"  # to be sent
    SENDING = "sending"  # taken by a sender; back to pending if it dies before saying how it went
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent refusal or too many attempts
    # WhatsApp: outside the 24 hours after the shopper's last message, with no template to send it as; pending
    # again as soon as the shopper writes.
    HELD = "held"


class DeliveryReport(StrEnum):
    """What a channel reports about a message it accepted (WhatsApp's statuses), kept as outbox delivery_state."""

    SENT = "sent"
    DELIVERED = "delivered"  # reached the phone
    READ = "read"
    FAILED = "failed"


class InboundStatus(StrEnum):
    PENDING = "pending"  # stored by the webhook, not yet taken by the worker
    HANDLING = "handling"  # taken by a worker; never taken again (a replayed "place order" must not order twice)
    HANDLED = "handled"


# Orders whose money the shop has: spending figures, "paid" pages.
SPENDING_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # being prepared: previewed, test-sent, not sent to anyone
    SENDING = "sending"  # its recipients are queued; the gateways are working through them
    SENT = "sent"  # every recipient's message was sent or given up
    STOPPED = "stopped"  # the seller stopped it: what was not yet sent never will be


class RecipientStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # given up (blocked the bot, a bounced address, too many attempts)
    STOPPED = "stopped"  # the campaign was stopped before this one was sent


class ConsentSource(StrEnum):
    CHECKOUT = "checkout"  # the question after the delivery details
    CHAT = "chat"  # "send me offers" / "stop sending me offers" in a chat
    EMAIL_LINK = "email_link"  # the unsubscribe link or one-click POST of a marketing email
    SELLER = "seller"  # changed by the seller on the shopper's request


class ConsentChannel(StrEnum):
    CHAT = "chat"  # the chat channel the customer writes from (their customer row's channel)
    EMAIL = "email"


class ReviewState(StrEnum):
    FLAGGED = "flagged"  # a seller marked it "not understood" from a transcript: first in the trainer's inbox
    TRAINING = "training"  # added to data/nlu_reviewed.yml
    TEST = "test"  # added to tests/nlu/heldout_reviewed.yml
    IGNORED = "ignored"


class ModelState(StrEnum):
    TRAINING = "training"
    CANDIDATE = "candidate"  # trained, not live
    LIVE = "live"
    RETIRED = "retired"  # was live, replaced
    FAILED = "failed"  # its training failed or was cancelled


class ModelOrigin(StrEnum):
    REVIEW = "review"  # a trainer's "Train"
    CATALOG = "catalog"  # trained after a catalog change (`shop learn`)
    START = "start"  # the model `shop run` started Rasa with
