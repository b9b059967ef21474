"""Outbox delivery to the web chat, which has no push channel: the page polls for its messages.

At least once: a poll (a GET, reading only) returns the chat's undelivered messages; the page then acknowledges the
ones it showed (a POST carrying the CSRF token: the highest id it has shown), which are marked sent. A response or
an acknowledgement lost on the way changes nothing: the next poll returns the messages again, the page skips the ids
it has already shown and acknowledges them again. Only our own page can acknowledge: a GET another site makes the
shopper's browser send marks nothing delivered.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.orm import Session

from checkout.db.database import Database, rowcount
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


def undelivered(session: Session, recipient: str, after: int = 0) -> list[OutboxMessage]:
    """This chat's messages not yet acknowledged, after the id `after` the page already shows. Reads only."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(*_mine(recipient), OutboxMessage.id > after)
            .order_by(OutboxMessage.id)
            .limit(20)
        )
    )


def acknowledge(db: Database, recipient: str, shown_up_to: int) -> int:
    """Marks this chat's messages up to `shown_up_to` sent; returns how many. One acknowledged already (the page
    says it again after a lost answer) takes no write lock."""
    with db.reading() as session:
        if not has_undelivered(session, recipient):
            return 0
    with db.transaction() as session:
        return rowcount(
            session.execute(
                update(OutboxMessage)
                .where(*_mine(recipient), OutboxMessage.id <= shown_up_to)
                .values(status=OutboxStatus.SENT, sent_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
