"""Turns chat events into customer, conversation and message rows, each event once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.customers.identity import ShopperIdentity, current_conversation, identify
from checkout.db.models import Conversation, Customer, Message, utcnow
from checkout.records.events import MAX_TEXT, ChatEvent, inbound_key, parse_event
from checkout.records.forgotten_chats import forgotten_since
from checkout.records.redaction import redact_card_numbers
from checkout.records.reruns import TurnReruns

RECORDED, DUPLICATE, IGNORED, FORGOTTEN = "recorded", "duplicate", "ignored", "forgotten"


def apply_event(session: Session, body: dict, shop_secret: str, reruns: TurnReruns | None = None) -> str:
    """Records the chat message in one broker event. Safe to call again with the same event. `shop_secret`: the
    shop's secret key, which keys the hashes of forgotten chats (checkout.records.forgotten_chats). `reruns`: the
    reader's memory of the stream so far, by which a turn published twice is recorded once."""
    event = parse_event(body)
    if event is None:
        return IGNORED
    if reruns is not None and event.direction == "out" and reruns.skips_answer(event.sender_id):
        return DUPLICATE
    outcome = record(session, event, shop_secret)
    if reruns is not None and event.direction == "in":
        reruns.message_seen(session, event.sender_id, event.key, again=outcome == DUPLICATE)
    return outcome


def record_unanswered_message(
    session: Session,
    identity: ShopperIdentity,
    text: str,
    channel_message_id: str,
    at: datetime | None = None,
    *,
    shop_secret: str,
) -> str:
    """A gateway's own record of a shopper message Rasa did not take (down or too slow). When Rasa does
    process it after all, its event has the same key and is not recorded twice."""
    return record(
        session,
        ChatEvent(
            key=inbound_key(identity.channel, identity.sender_id, channel_message_id),
            sender_id=identity.sender_id,
            direction="in",
            at=at or utcnow(),
            text=redact_card_numbers((text or "")[:MAX_TEXT]),
            identity=identity,
            channel_message_id=str(channel_message_id)[:100],
        ),
        shop_secret,
    )


def record(session: Session, event: ChatEvent, shop_secret: str) -> str:
    if session.scalar(select(Message.id).where(Message.source_event_id == event.key)) is not None:
        return DUPLICATE
    if _forgotten(session, event, shop_secret):
        return FORGOTTEN
    conversation = _conversation(session, event)
    message = Message(
        conversation_id=conversation.id,
        direction=event.direction,
        text=event.text,
        intent=event.intent,
        confidence=event.confidence,
        entities=event.entities,
        model_id=event.model_id,
        intent_ranking=event.intent_ranking,
        response_name=event.response_name,
        channel_message_id=event.channel_message_id,
        source_event_id=event.key,
        created_at=event.at,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # the gateway and the consumer recorded the same message at the same moment
        return DUPLICATE
    return RECORDED


def _forgotten(session: Session, event: ChatEvent, shop_secret: str) -> bool:
    """Events of a forgotten person still waiting in a broker must not bring their records back."""
    forgotten_at = forgotten_since(session, event.sender_id, shop_secret)
    return forgotten_at is not None and event.at <= forgotten_at


def _conversation(session: Session, event: ChatEvent) -> Conversation:
    if event.identity is not None:
        customer = identify(session, event.identity, at=event.at)
        return current_conversation(session, customer, event.identity, at=event.at)
    # A bot message belongs to the chat of the shopper it answers.
    latest = session.scalar(
        select(Conversation)
        .where(Conversation.sender_id == event.sender_id)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    if latest is None:
        identity = ShopperIdentity.from_rasa(event.sender_id, None, None)
        return current_conversation(session, identify(session, identity, at=event.at), identity, at=event.at)
    customer = session.get_one(Customer, latest.customer_id)
    identity = ShopperIdentity(latest.channel, customer.channel_user_id, event.sender_id)
    return current_conversation(session, customer, identity, at=event.at)
