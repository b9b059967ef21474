"""Meta's webhook deliveries: each shopper message stored once (its wamid), before the webhook is answered;
then taken by the gateway's worker, in order, and handed to Rasa.

A delivery is answered as soon as its messages are stored: Meta retries a webhook that is slow to answer, and a
retry finds the wamid already stored, so no message is applied twice, also across restarts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.database import Database, rowcount
from checkout.db.models import InboundMessage, OutboxMessage, utcnow
from checkout.statuses import InboundStatus, OutboxStatus
from checkout.whatsapp.delivery_states import DeliveryState, apply_delivery_state
from checkout.whatsapp.window import CHANNEL

log = logging.getLogger(__name__)

# Handled messages are kept this long: their times open the 24-hour window; Meta stops retrying after 7 days.
KEEP_HANDLED = timedelta(days=7)
# A turn takes seconds, a slow Rasa's a minute at most (bot/gateway.py LATE_REPLY_SECONDS); held longer, the worker
# holding it died.
IN_HAND_AT_MOST = timedelta(minutes=3)


@dataclass
class WebhookOutcome:
    stored: int = 0  # new shopper messages, now waiting for the worker
    repeated: int = 0  # wamids stored before (Meta's retries)
    states: int = 0  # delivery states applied to outbox messages
    ignored: list[str] = field(default_factory=list)  # why parts of the delivery were left out


@dataclass(frozen=True)
class Inbound:
    """A stored message as the worker handles it."""

    id: int
    wa_id: str
    message: dict  # Meta's message object: from, id, timestamp, type and the type's own part
    profile_name: str | None
    received_at: datetime


def accept_webhook(
    db: Database, payload: object, phone_number_id: str, template_configured: bool = False
) -> WebhookOutcome:
    """Stores the messages and applies the delivery states of one webhook delivery, in one transaction.

    Only changes for our own number are taken (an app can serve several numbers); anything malformed is left out
    and named, never failing the rest: Meta would retry the whole delivery forever."""
    outcome = WebhookOutcome()
    with db.transaction() as session:
        for value in _values(payload, outcome):
            metadata = _object(value.get("metadata"))
            if str(metadata.get("phone_number_id", "")) != phone_number_id:
                outcome.ignored.append(f"a change for another phone number id ({metadata.get('phone_number_id')})")
                continue
            names = _profile_names(value.get("contacts"))
            for message in value.get("messages") or []:
                _store_message(session, message, names, outcome)
            for state in value.get("statuses") or []:
                parsed = DeliveryState.parse(state)
                if parsed is None:
                    outcome.ignored.append("a malformed status")
                elif apply_delivery_state(session, parsed, template_configured):
                    outcome.states += 1
    return outcome


def _values(payload: object, outcome: WebhookOutcome) -> list[dict]:
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        outcome.ignored.append("not a whatsapp_business_account delivery")
        return []
    values = []
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            if isinstance(change, dict) and change.get("field") == "messages" and isinstance(change.get("value"), dict):
                values.append(change["value"])
            else:
                outcome.ignored.append("a change that is not about messages")
    return values


def _object(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _profile_names(contacts: object) -> dict[str, str]:
    names = {}
    for contact in contacts if isinstance(contacts, list) else []:
        if isinstance(contact, dict) and contact.get("wa_id"):
            profile = _object(contact.get("profile"))
            if isinstance(profile.get("name"), str):
                names[str(contact["wa_id"])] = profile["name"][:200]
    return names


def _store_message(session: Session, message: object, names: dict[str, str], outcome: WebhookOutcome) -> None:
    if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
        outcome.ignored.append("a message without an id or a sender")
        return
    wamid, wa_id = str(message["id"])[:255], str(message["from"])[:64]
    if session.scalar(
        select(InboundMessage.id).where(InboundMessage.channel == CHANNEL, InboundMessage.message_id == wamid)
    ):
        outcome.repeated += 1
        return
    try:
        with session.begin_nested():
            session.add(
                InboundMessage(
                    channel=CHANNEL,
                    message_id=wamid,
                    chat_id=wa_id,
                    body={"message": message, "profile_name": names.get(wa_id)},
                    status=InboundStatus.PENDING,
                    received_at=_sent_at(message.get("timestamp")),
                )
            )
    except IntegrityError:  # the same delivery, retried while this one was being stored
        outcome.repeated += 1
        return
    outcome.stored += 1
    _release_held(session, wa_id)


def _sent_at(timestamp: object) -> datetime:
    """The shopper's send time (unix seconds, as a string); now when missing or implausible."""
    now = utcnow()
    try:
        sent = datetime.fromtimestamp(int(str(timestamp)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    return sent if now - timedelta(days=30) < sent <= now + timedelta(minutes=5) else now


def _release_held(session: Session, wa_id: str) -> None:
    """The shopper wrote: notices held outside the window may go now."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == CHANNEL,
            OutboxMessage.recipient == wa_id,
            OutboxMessage.status == OutboxStatus.HELD,
        )
        .values(status=OutboxStatus.PENDING, last_error=None)
        .execution_options(synchronize_session=False)
    )


def claim_next_messages(db: Database, limit: int) -> list[Inbound]:
    """The oldest pending message of up to `limit` chats that have none in hand, each taken by one conditional
    update. One message per chat at a time, across every worker process: a chat's messages reach Rasa in order,
    and a crash leaves at most the one in hand unanswered (never retried: it may have placed an order). A message
    in hand longer than IN_HAND_AT_MOST was lost with its worker, and no longer holds its chat back."""
    if limit <= 0:
        return []
    with db.transaction() as session:
        now = utcnow()
        in_hand = select(InboundMessage.chat_id).where(
            InboundMessage.channel == CHANNEL,
            InboundMessage.status == InboundStatus.HANDLING,
            InboundMessage.claimed_at > now - IN_HAND_AT_MOST,
        )
        # Each chat's oldest (a chat flooding the queue must not hold every other chat back).
        first_ids = (
            select(func.min(InboundMessage.id))
            .where(
                InboundMessage.channel == CHANNEL,
                InboundMessage.status == InboundStatus.PENDING,
                InboundMessage.chat_id.not_in(in_hand),
            )
            .group_by(InboundMessage.chat_id)
            .order_by(func.min(InboundMessage.id))
            .limit(limit)
        )
        rows = session.scalars(
            select(InboundMessage).where(InboundMessage.id.in_(first_ids.scalar_subquery())).order_by(InboundMessage.id)
        ).all()
        claimed = []
        for row in rows:
            won = rowcount(
                session.execute(
                    update(InboundMessage)
                    .where(InboundMessage.id == row.id, InboundMessage.status == InboundStatus.PENDING)
                    .values(status=InboundStatus.HANDLING, claimed_at=now)
                    .execution_options(synchronize_session=False)
                )
            )
            body = row.body or {}
            if won and isinstance(body.get("message"), dict):
                claimed.append(Inbound(row.id, row.chat_id, body["message"], body.get("profile_name"), row.received_at))
            elif won:  # nothing to answer (emptied by hand?): done, so it does not hold its chat for minutes
                row.status, row.handled_at = InboundStatus.HANDLED, now
        return claimed


def mark_handled(db: Database, inbound_id: int) -> None:
    """Done: what the shopper wrote is now in Rasa's tracker and our records; the copy here goes."""
    with db.transaction() as session:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == inbound_id)
            .values(status=InboundStatus.HANDLED, handled_at=utcnow(), body=None)
            .execution_options(synchronize_session=False)
        )


def forget_old_inbound(db: Database) -> int:
    with db.transaction() as session:
        return rowcount(
            session.execute(
                delete(InboundMessage).where(
                    InboundMessage.channel == CHANNEL,
                    InboundMessage.status != InboundStatus.PENDING,  # a HANDLING one a crash left is never retried
                    InboundMessage.received_at < utcnow() - KEEP_HANDLED,
                )
            )
        )
