"""WhatsApp's customer service window: free-form messages only within 24 hours of the shopper's last message.

Outside it, Meta refuses anything but an approved template (error 131047). The window is measured from the
shopper's own timestamp on their latest message, with a margin for the clocks and the time a send takes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import InboundMessage, OutboxMessage, utcnow

CHANNEL = "whatsapp"
WINDOW = timedelta(hours=24)
MARGIN = timedelta(minutes=5)
# Meta's error for a free-form message outside the window.
OUTSIDE_WINDOW_CODE = 131047
REASON_PREFIX = "WhatsApp: "  # an outbox row's last_error after a failure report: "WhatsApp: <code> <title>"


def last_message_at(session: Session, wa_id: str) -> datetime | None:
    return session.scalar(
        select(func.max(InboundMessage.received_at)).where(
            InboundMessage.channel == CHANNEL, InboundMessage.chat_id == wa_id
        )
    )


def window_open(session: Session, wa_id: str, now: datetime | None = None) -> bool:
    last = last_message_at(session, wa_id)
    return last is not None and (now or utcnow()) < last + WINDOW - MARGIN


def refused_outside_window(last_error: str | None) -> bool:
    """Whether an outbox row was last reported failed by Meta as outside the 24-hour window (131047)."""
    return (last_error or "").startswith(f"{REASON_PREFIX}{OUTSIDE_WINDOW_CODE} ")


def free_form_allowed(db: Database, outbox_id: int, wa_id: str) -> bool:
    """Whether this outbox row may go as a free-form message now, rather than as the template (or held)."""
    with db.reading() as session:
        # Meta took this row's last try and then reported it outside the window (131047, by status webhook;
        # delivery_states.py put it back for the template): Meta's clock decides, or the row would go free-form
        # again, be refused again, and fail after MAX_ATTEMPTS tries.
        last_error = session.scalar(select(OutboxMessage.last_error).where(OutboxMessage.id == outbox_id))
        if refused_outside_window(last_error):
            return False
        return window_open(session, wa_id)
