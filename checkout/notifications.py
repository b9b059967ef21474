"""Queue messages for shoppers and the seller outside a conversation turn; gateways deliver them.

The queue is the `outbox_messages` table: a row is written in the transaction that makes the change it
announces, and a channel's gateway claims pending rows, sends them and marks them sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.database import rowcount
from checkout.db.models import CampaignRecipient, Conversation, Customer, Order, OutboxMessage, utcnow
from checkout.statuses import OrderStatus, OutboxStatus, RecipientStatus

SELLER_CHANNEL = "telegram_seller"  # the seller's own Telegram chat (TELEGRAM_SELLER_CHAT_ID)
MAX_ATTEMPTS = 5

# Keyed by plain strings too: an OrderStatus is its string, so a status read from a row finds its text.
ORDER_UPDATES: dict[str, str] = {
    OrderStatus.PAID: "Payment received for order {number}, thank you! We are preparing it now.",
    OrderStatus.FULFILLED: "Your order {number} is on its way.",
    OrderStatus.CANCELLED: "Your order {number} has been cancelled. Nothing will be charged for it.",
    OrderStatus.EXPIRED: (
        "Order {number} expired before it was paid, so we released the items. Just write if you still want them."
    ),
    OrderStatus.REFUNDED: "Order {number} has been refunded.",
}
# The refund notice (kind "order_refunded", as ORDER_UPDATES' would be), by the way the money goes back
# (checkout.payments.refunds); {amount} is the amount, or "your payment" when it is not one sum in one currency.
REFUND_NOTICES: dict[str, str] = {
    "stripe": (
        "Order {number} has been refunded: {amount} goes back to the card you paid with. "
        "Your bank may take 5 to 10 business days to show it."
    ),
    "telegram": (
        "Order {number} has been refunded: {amount} goes back through the payment provider you paid with in "
        "Telegram (refund reference {reference})."
    ),
    "manual": "Order {number} has been refunded: the seller sent {amount} back to you (reference {reference}).",
    "several": "Order {number} has been refunded: {amount} goes back the way each payment was made.",
}


def latest_sender(session: Session, customer: Customer) -> str:
    """Where to reach the customer: the chat of their latest conversation (their channel id otherwise)."""
    sender = session.scalar(
        select(Conversation.sender_id)
        .where(Conversation.customer_id == customer.id)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    return sender or customer.channel_user_id


def queue_for_customer(
    session: Session,
    customer: Customer,
    kind: str,
    text: str,
    *,
    order: Order | None = None,
    dedupe_key: str | None = None,
    buttons: list | None = None,
) -> OutboxMessage | None:
    """Queues a message to the customer's chat. Returns None when the same dedupe_key was queued before."""
    recipient = order.sender_id if order is not None else latest_sender(session, customer)
    return _queue(
        session,
        OutboxMessage(
            channel=order.channel if order is not None else customer.channel,
            recipient=recipient,
            customer_id=customer.id,
            order_id=order.id if order is not None else None,
            kind=kind,
            text=text,
            buttons=buttons,
            dedupe_key=dedupe_key,
        ),
    )


def queue_order_update(session: Session, order: Order, status: str) -> OutboxMessage | None:
    """Tells the shopper their order changed status; once per order and status."""
    template = ORDER_UPDATES.get(status)
    if template is None:
        return None
    text = template.format(number=order.number)
    if status == OrderStatus.FULFILLED and order.fulfilment_note:
        text += f"\n{order.fulfilment_note}"
    customer = session.get_one(Customer, order.customer_id)
    return queue_for_customer(
        session, customer, f"order_{status}", text, order=order, dedupe_key=f"order:{order.id}:{status}"
    )


def queue_for_seller(
    session: Session,
    kind: str,
    text: str,
    dedupe_key: str | None = None,
    *,
    customer: Customer | None = None,
    order: Order | None = None,
) -> OutboxMessage | None:
    """An alert to the seller's chat (new order, handoff); delivered when TELEGRAM_SELLER_CHAT_ID is set.

    `customer`/`order` say whom the alert is about, so forgetting that customer erases its text too."""
    return _queue(
        session,
        OutboxMessage(
            channel=SELLER_CHANNEL,
            recipient="seller",
            kind=kind,
            text=text,
            customer_id=customer.id if customer else None,
            order_id=order.id if order else None,
            dedupe_key=dedupe_key,
        ),
    )


def _queue(session: Session, message: OutboxMessage) -> OutboxMessage | None:
    if (
        message.dedupe_key
        and session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == message.dedupe_key)) is not None
    ):
        return None
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # queued by a concurrent transaction a moment ago
        return None
    return message


def claim_pending(
    session: Session, channels: tuple[str, ...], limit: int = 20, campaigns: bool | None = None
) -> list[OutboxMessage]:
    """Pending messages for these channels, each claimed by one conditional update so two gateways never
    both send it. A message claimed by a gateway that died before marking it stays 'sending': whether it
    reached the chat is unknown, and sending it again could double it.

    `campaigns`: True claims only campaign messages, False none of them (a gateway paces campaigns apart, so
    they never hold an order update back); None claims both."""
    query = select(OutboxMessage.id).where(
        OutboxMessage.channel.in_(channels), OutboxMessage.status == OutboxStatus.PENDING
    )
    if campaigns is not None:
        query = query.where(
            OutboxMessage.campaign_id.is_not(None) if campaigns else OutboxMessage.campaign_id.is_(None)
        )
    candidates = session.scalars(query.order_by(OutboxMessage.id).limit(limit))
    claimed = []
    for message_id in list(candidates):
        won = rowcount(
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        )
        if won == 1:
            claimed.append(session.get_one(OutboxMessage, message_id, populate_existing=True))
    return claimed


def mark_sent(session: Session, message_id: int, channel_message_id: str | None = None) -> None:
    now = utcnow()
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.SENT, sent_at=now, channel_message_id=channel_message_id, last_error=None)
        .execution_options(synchronize_session=False)
    )
    _settle_recipient(session, message_id, RecipientStatus.SENT, sent_at=now)


def mark_failed(session: Session, message_id: int, error: str, permanent: bool = False) -> None:
    """Back to pending for another try, or failed for good after MAX_ATTEMPTS (at once when `permanent`:
    another try cannot succeed, e.g. the shopper blocked the bot or the text was erased)."""
    message = session.get_one(OutboxMessage, message_id, populate_existing=True)
    message.status = OutboxStatus.FAILED if permanent or message.attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
    message.last_error = error[:500]
    if message.status == OutboxStatus.FAILED and message.campaign_id is not None:
        _settle_recipient(session, message_id, RecipientStatus.FAILED, error=error[:500])


def mark_unreachable(session: Session, message_id: int, error: str) -> None:
    """The channel refuses to deliver to this customer for good (a Telegram 403: they blocked the bot): the message
    fails, and no campaign picks the customer for this channel again."""
    mark_failed(session, message_id, error, permanent=True)
    customer_id = session.scalar(select(OutboxMessage.customer_id).where(OutboxMessage.id == message_id))
    if customer_id is not None:
        session.execute(
            update(Customer)
            .where(Customer.id == customer_id, Customer.unreachable_at.is_(None))
            .values(unreachable_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def hold_for_window(session: Session, message_id: int, reason: str) -> None:
    """The channel takes no message to this chat now (WhatsApp, 24 hours after the shopper's last message, with no
    template configured): held, shown to the seller as waiting, and pending again when the shopper writes."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.HELD, last_error=reason[:500])
        .execution_options(synchronize_session=False)
    )


def _settle_recipient(session: Session, message_id: int, status: RecipientStatus, **values: object) -> None:
    """A campaign's message sent or given up: its recipient row says so (the campaign report counts them)."""
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.outbox_message_id == message_id, CampaignRecipient.status == RecipientStatus.QUEUED)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )


def expire_pending(session: Session, channel: str, queued_before: datetime, reason: str) -> int:
    """Marks pending messages queued before `queued_before` as failed: news too old to be worth sending (seller
    alerts queued while no seller chat was configured), so configuring one later does not flood it."""
    return rowcount(
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.created_at < queued_before,
            )
            .values(status=OutboxStatus.FAILED, last_error=reason[:500])
            .execution_options(synchronize_session=False)
        )
    )
