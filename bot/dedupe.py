"""Each update a channel delivers is handled once, also across a gateway restart: its id is claimed in the
database before anything is done with it.

Claiming first means an update whose handling crashes half-way is not retried: a shopper repeats a message
more easily than a seller undoes an order placed twice by a replayed "Yes, place order" press.
"""

from __future__ import annotations

from datetime import timedelta

from checkout.db.database import Database
from checkout.db.models import utcnow
from checkout.processed_events import claim_event, forget_events_before

# Telegram keeps an undelivered update for 24 hours and Meta retries a webhook for 7 days: claims older than a
# week can never be needed again.
KEEP_CLAIMS = timedelta(days=7)


def claim_once(db: Database, provider: str, event_id: str) -> bool:
    """True the first time this event id is claimed for this provider; False ever after."""
    with db.transaction() as session:
        return claim_event(session, provider, event_id)


def forget_old_claims(db: Database, provider: str) -> int:
    with db.transaction() as session:
        return forget_events_before(session, provider, utcnow() - KEEP_CLAIMS)
