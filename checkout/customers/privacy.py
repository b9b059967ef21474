"""A customer's right to see and to erase what we keep about them.

Forgetting erases the person (name, username, phone, email, address, chat ids, message texts, consent records,
the codes campaigns gave them) and keeps the business facts: orders with their items and amounts, so the books
still add up, and one row per campaign message, so a campaign's report still counts it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload
from sqlalchemy.sql.elements import Cast

from checkout.audit import record_audit, scrub_personal_details
from checkout.customers.export import customer_stats_query, customer_to_dict
from checkout.db.database import rowcount
from checkout.db.models import (
    CampaignRecipient,
    Cart,
    CartItem,
    ConsentChange,
    Conversation,
    Customer,
    InboundMessage,
    Message,
    NluReview,
    Order,
    OutboxMessage,
    Payment,
    PaymentProof,
    utcnow,
)
from checkout.marketing.overview import (
    campaign_received_to_dict,
    campaigns_received,
    consent_record_to_dict,
    consent_records,
)
from checkout.orders.export import isoformat_utc, order_to_dict
from checkout.promotions.history import code_use_to_dict, codes_used
from checkout.records.transcripts import (
    conversation_to_dict,
    customer_conversations,
    customer_messages,
    message_to_dict,
)
from checkout.statuses import ReviewState


def export_customer(session: Session, customer_id: int, currency: str) -> dict | None:
    """Everything stored about one customer, as one JSON-ready object."""
    row = session.execute(customer_stats_query(currency).where(Customer.id == customer_id)).first()
    if row is None:
        return None
    orders = session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .options(selectinload(Order.items), selectinload(Order.payments))
        .order_by(Order.created_at, Order.id)
    )
    cart = session.scalar(select(Cart).where(Cart.customer_id == customer_id).options(selectinload(Cart.items)))
    customer = row[0]
    return {
        "customer": {
            **customer_to_dict(*row, currency=currency),
            "forgotten_at": isoformat_utc(customer.forgotten_at) if customer.forgotten_at else None,
        },
        "cart": [{"sku": item.variant.sku, "quantity": item.quantity} for item in cart.items] if cart else [],
        "orders": [order_to_dict(order) for order in orders],
        "discount_codes": [code_use_to_dict(use) for use in codes_used(session, customer_id)],
        "conversations": [conversation_to_dict(c) for c in customer_conversations(session, customer_id)],
        "messages": [message_to_dict(m) for m in customer_messages(session, customer_id)],
        "consent": {
            "chat": customer.marketing_consent,
            "email": customer.email_consent,
            "asked_at": isoformat_utc(customer.consent_asked_at) if customer.consent_asked_at else None,
            "history": [consent_record_to_dict(r) for r in consent_records(session, customer_id)],
        },
        "campaign_messages": [campaign_received_to_dict(r) for r in campaigns_received(session, customer_id)],
    }


@dataclass
class ForgetResult:
    customer_id: int
    sender_ids: list[str]
    messages: int
    orders: int


def chat_ids_of(session: Session, customer: Customer) -> list[str]:
    """Every Rasa sender id the customer wrote from: the keys of their data in Rasa's own stores."""
    ids = set(session.scalars(select(Conversation.sender_id).where(Conversation.customer_id == customer.id)))
    ids |= set(session.scalars(select(Order.sender_id).where(Order.customer_id == customer.id)))
    if customer.forgotten_at is None and customer.channel in ("rest", "whatsapp"):
        ids.add(customer.channel_user_id)  # a REST sender is its own user id, a WhatsApp chat its wa_id
    return sorted(i for i in ids if not i.startswith("forgotten:"))


def erase_customer_records(session: Session, customer: Customer, actor: str) -> ForgetResult:
    """Erases the customer's personal data in our tables (Rasa's stores: checkout.records.rasa_stores). Their chats,
    returned, are for the caller to remember as forgotten (checkout.records.forgotten_chats, with the shop's secret)."""
    sender_ids = chat_ids_of(session, customer)
    now = utcnow()
    placeholder = f"forgotten:{customer.id}"
    conversation_ids = select(Conversation.id).where(Conversation.customer_id == customer.id).scalar_subquery()
    messages = rowcount(
        session.execute(
            update(Message)
            .where(Message.conversation_id.in_(conversation_ids))
            .values(text=None, entities=None, channel_message_id=None)
            .execution_options(synchronize_session=False)
        )
    )
    # A flag or an "ignore" on what they wrote points at their message and keys its text: gone. An example a trainer
    # added stays (checked free of personal data when written), without the link to the message.
    their_messages = select(Message.id).where(Message.conversation_id.in_(conversation_ids)).scalar_subquery()
    session.execute(
        delete(NluReview)
        .where(
            NluReview.message_id.in_(their_messages), NluReview.state.in_((ReviewState.FLAGGED, ReviewState.IGNORED))
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(NluReview)
        .where(NluReview.message_id.in_(their_messages))
        .values(message_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Conversation)
        .where(Conversation.customer_id == customer.id)
        .values(sender_id=placeholder)
        .execution_options(synchronize_session=False)
    )
    order_ids = select(Order.id).where(Order.customer_id == customer.id).scalar_subquery()
    orders = rowcount(
        session.execute(
            update(Order)
            .where(Order.customer_id == customer.id)
            .values(
                customer_name=None,
                customer_phone=None,
                customer_email=None,
                customer_address=None,
                fulfilment_note=None,
                sender_id=placeholder,
            )
            .execution_options(synchronize_session=False)
        )
    )
    # Provider data can carry a payer's email or name; amounts and references stay for accounting.
    session.execute(
        update(Payment)
        .where(Payment.order_id.in_(order_ids))
        .values(provider_data=None)
        .execution_options(synchronize_session=False)
    )
    # Campaign messages included (they name the customer's outbox row); a delivery error can quote the address.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.customer_id == customer.id)
        .values(text="", recipient=placeholder, buttons=None, html=None, subject=None, image_url=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    # Consent records say who agreed to what, at which address: personal. A campaign keeps its count of messages
    # (the recipient rows stay) but not the code given nor the error that names the person.
    session.execute(
        delete(ConsentChange)
        .where(ConsentChange.customer_id == customer.id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.customer_id == customer.id)
        .values(promo_code=None, error=None)
        .execution_options(synchronize_session=False)
    )
    # A proof of payment is a picture of the person's bank transfer: personal through and through.
    session.execute(
        delete(PaymentProof).where(PaymentProof.customer_id == customer.id).execution_options(synchronize_session=False)
    )
    # WhatsApp messages waiting for the worker, or kept for the 24-hour window: what they wrote, and their number.
    session.execute(
        delete(InboundMessage)
        .where(InboundMessage.channel == customer.channel, InboundMessage.chat_id.in_(sender_ids))
        .execution_options(synchronize_session=False)
    )
    cart_ids = select(Cart.id).where(Cart.customer_id == customer.id).scalar_subquery()
    session.execute(delete(CartItem).where(CartItem.cart_id.in_(cart_ids)).execution_options(synchronize_session=False))
    session.execute(delete(Cart).where(Cart.customer_id == customer.id).execution_options(synchronize_session=False))
    for field in ("name", "username", "phone", "email", "address", "language"):
        setattr(customer, field, None)
    customer.marketing_consent = False
    customer.email_consent = False
    customer.consent_asked_at = None
    # A new chat from the same person starts a new customer; the old channel id is personal data too.
    customer.channel_user_id = placeholder
    customer.forgotten_at = now
    # The audit log keeps who did what to their orders and messages, not who they were (checkout.audit).
    for entity_type, ids in (
        ("order", select(Order.number).where(Order.customer_id == customer.id)),
        ("conversation", select(_as_text(Conversation.id)).where(Conversation.customer_id == customer.id)),
        ("message", select(_as_text(Message.id)).where(Message.conversation_id.in_(conversation_ids))),
        ("customer", select(_as_text(Customer.id)).where(Customer.id == customer.id)),
    ):
        scrub_personal_details(session, entity_type, ids)
    record_audit(
        session,
        actor,
        "customer.forgotten",
        "customer",
        customer.id,
        {"messages_erased": messages, "orders_anonymised": orders, "chats": len(sender_ids)},
    )
    return ForgetResult(customer.id, sender_ids, messages, orders)


def _as_text(column: InstrumentedAttribute[int]) -> Cast[str]:
    """An id as audit_log.entity_id holds it."""
    return cast(column, String(64))
