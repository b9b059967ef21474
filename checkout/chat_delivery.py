"""Outbox delivery to the web chat, which has no push channel: the page polls for its messages.

At least once: a poll returns the chat's undelivered messages and the next poll acknowledges the ones
the page received (`after` = the highest id it has shown), which are then marked sent. A response lost
on the way is returned again by the next poll; the page skips ids it has already shown.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.orm import Session

from checkout.db.models import OutboxMessage, utcnow
from checkout.statuses import OutboxStatus

# The web chat's own sender ids ("web-...") reach Rasa through the REST channel: rows for them may carry
# either name, depending on whether the channel was taken from the metadata or from Rasa.
WEB_CHANNELS = ("web", "rest")
UNDELIVERED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


def _mine(recipient: str) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.channel.in_(WEB_CHANNELS),
        OutboxMessage.recipient == recipient,
        OutboxMessage.status.in_(UNDELIVERED),
    )


def has_undelivered(session: Session, recipient: str) -> bool:
    # SELECT EXISTS always returns its one row.
    return session.execute(select(exists().where(*_mine(recipient)))).scalar_one()


def poll(session: Session, recipient: str, acknowledged_up_to: int) -> list[OutboxMessage]:
    """Marks this chat's messages up to `acknowledged_up_to` sent; returns the later undelivered ones."""
    now = utcnow()
    session.execute(
        update(OutboxMessage)
        .where(*_mine(recipient), OutboxMessage.id <= acknowledged_up_to)
        .values(status=OutboxStatus.SENT, sent_at=now)
        .execution_options(synchronize_session=False)
    )
    waiting = list(
        session.scalars(
            select(OutboxMessage)
            .where(*_mine(recipient), OutboxMessage.id > acknowledged_up_to)
            .order_by(OutboxMessage.id)
            .limit(20)
        )
    )
    for message in waiting:
        if message.status == OutboxStatus.PENDING:
            message.status, message.attempts = OutboxStatus.SENDING, message.attempts + 1
    return waiting
