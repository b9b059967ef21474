"""WhatsApp's customer service window: free-form messages only within 24 hours of the shopper's last message.

Outside it, Meta refuses anything but an approved template (error 131047). The window is measured from the
shopper's own timestamp on their latest message, with a margin for the clocks and the time a send takes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.db.models import InboundMessage, utcnow

CHANNEL = "whatsapp"
WINDOW = timedelta(hours=24)
MARGIN = timedelta(minutes=5)


def last_message_at(session: Session, wa_id: str) -> datetime | None:
    return session.scalar(
        select(func.max(InboundMessage.received_at)).where(
            InboundMessage.channel == CHANNEL, InboundMessage.chat_id == wa_id
        )
    )


def window_open(session: Session, wa_id: str, now: datetime | None = None) -> bool:
    last = last_message_at(session, wa_id)
    return last is not None and (now or utcnow()) < last + WINDOW - MARGIN
