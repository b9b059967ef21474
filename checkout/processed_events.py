"""External events applied once: a gateway claims an event id before acting on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.database import rowcount
from checkout.db.models import ProcessedEvent


def claim_event(session: Session, provider: str, event_id: str, outcome: str | None = None) -> bool:
    """True the first time this event id is seen; False for a repeat (also one claimed by another process
    a moment ago: the unique index decides). `outcome`: what applying it produces, for a repeat to answer with."""
    if claimed_event(session, provider, event_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(provider=provider, event_id=event_id, outcome=outcome))
    except IntegrityError:
        return False
    return True


def claimed_event(session: Session, provider: str, event_id: str) -> ProcessedEvent | None:
    """The claim of this event id, with its outcome; None while it is unclaimed."""
    return session.scalar(
        select(ProcessedEvent).where(ProcessedEvent.provider == provider, ProcessedEvent.event_id == event_id)
    )


def forget_events_before(session: Session, provider: str, before: datetime) -> int:
    """Drops claims older than `before`, once the provider can no longer send those events again."""
    return rowcount(
        session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.provider == provider, ProcessedEvent.processed_at < before)
        )
    )
