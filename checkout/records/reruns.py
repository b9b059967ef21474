"""A turn Rasa runs twice is recorded once.

Several Rasa servers publish a turn's events before saving it (packages/lean_rasa_turns). A server killed between
the two leaves the turn published but not saved; the web chat or gateway then sends the shopper's message again
(same message id) and another server runs the turn once more and publishes it again. The shopper's message is one
record by its message id. The bot's answers of the second run carry new timestamps, so they are not the same events:
they are skipped by count, as many as the first run recorded after that message.
"""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.db.models import Message

# The records consumer's own keys of bot messages (checkout.records.events); seller replies and notices have others.
BOT_EVENT_KEYS = "ev:%"
# Conversations whose rerun is being skipped, at most: a rerun is skipped within its own turn, moments long.
TRACKED = 10_000


class TurnReruns:
    """The answers still to skip, per conversation, from the events the consumer has read so far. One per reader of a
    stream (a queue, a table), made again when the reader restarts."""

    def __init__(self) -> None:
        self._to_skip: OrderedDict[str, int] = OrderedDict()

    def message_seen(self, session: Session, sender_id: str, key: str, again: bool) -> None:
        """A shopper message was read: a new turn, or (`again`, already recorded) the start of a turn run again."""
        recorded = _answers_recorded(session, key) if again else 0
        self._to_skip.pop(sender_id, None)
        if recorded:
            self._to_skip[sender_id] = recorded
            if len(self._to_skip) > TRACKED:
                self._to_skip.popitem(last=False)

    def skips_answer(self, sender_id: str) -> bool:
        """True for a bot message of a rerun turn that the first run's answers already recorded."""
        left = self._to_skip.get(sender_id, 0)
        if left <= 0:
            return False
        if left == 1:
            del self._to_skip[sender_id]
        else:
            self._to_skip[sender_id] = left - 1
        return True


def _answers_recorded(session: Session, key: str) -> int:
    """The bot messages recorded after the shopper message `key`, before the conversation's next shopper message."""
    message = session.execute(select(Message.id, Message.conversation_id).where(Message.source_event_id == key)).first()
    if message is None:
        return 0
    next_message = (
        select(func.min(Message.id))
        .where(Message.conversation_id == message.conversation_id, Message.direction == "in", Message.id > message.id)
        .scalar_subquery()
    )
    return (
        session.scalar(
            select(func.count(Message.id)).where(
                Message.conversation_id == message.conversation_id,
                Message.direction == "out",
                Message.id > message.id,
                Message.source_event_id.like(BOT_EVENT_KEYS),
                (Message.id < next_message) | next_message.is_(None),
            )
        )
        or 0
    )
