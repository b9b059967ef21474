"""A seller marks a shopper message "not understood" from a transcript: its text goes first in the trainer's inbox.

A flag is a review in state flagged for the text (not the message): every copy of the text is flagged at once,
and a text the trainer already reviewed stays as reviewed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.database import Database
from checkout.db.models import Message, NluReview
from checkout.errors import CheckoutError
from checkout.statuses import ReviewState
from checkout.trainer.review import BUTTON_PREFIX, text_key


class MessageNotFlaggable(CheckoutError):
    """No such message, or not one a shopper typed (the bot's, a button press, erased)."""


@dataclass(frozen=True)
class Flagged:
    message_id: int
    conversation_id: int
    state: ReviewState  # the text's review state now: flagged, or what the trainer decided before
    newly: bool  # False when the text was flagged or reviewed already


def flaggable(message: Message) -> bool:
    """Typed by a shopper: not the bot's, not a button's payload, not erased (a forgotten customer's)."""
    text = message.text or ""
    return message.direction == "in" and bool(text.strip()) and not text.startswith(BUTTON_PREFIX)


def flag_message(db: Database, message_id: int, actor: str) -> Flagged:
    """Marks the message's text "not understood" for the trainer. Audit-logged. Raises MessageNotFlaggable."""
    with db.transaction() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise MessageNotFlaggable(f"there is no message {message_id}")
        if not flaggable(message):
            raise MessageNotFlaggable("only a text a shopper typed can be marked as not understood")
        key = text_key(message.text or "")
        state = _state(session, key)
        if state is not None:
            return Flagged(message.id, message.conversation_id, state, newly=False)
        try:
            with session.begin_nested():
                session.add(NluReview(text_key=key, message_id=message.id, state=ReviewState.FLAGGED, flagged_by=actor))
        except IntegrityError:  # someone flagged the same text at the same moment
            return Flagged(message.id, message.conversation_id, _state(session, key) or ReviewState.FLAGGED, False)
        record_audit(session, actor, "message.flag", "message", message.id, {"text_key": key})
        return Flagged(message.id, message.conversation_id, ReviewState.FLAGGED, newly=True)


def transcript_reviews(session: Session, messages: Iterable[Message]) -> dict[int, ReviewState | None]:
    """For each message of a transcript a seller could flag: its text's review state, None when not reviewed."""
    keys = {m.id: text_key(m.text or "") for m in messages if flaggable(m)}
    found = session.execute(
        select(NluReview.text_key, NluReview.state).where(NluReview.text_key.in_(set(keys.values())))
    )
    states = {key: state for key, state in found}
    return {message_id: _as_state(states.get(key)) for message_id, key in keys.items()}


def _state(session: Session, key: str) -> ReviewState | None:
    return _as_state(session.scalar(select(NluReview.state).where(NluReview.text_key == key)))


def _as_state(value: str | None) -> ReviewState | None:
    return ReviewState(value) if value is not None else None
