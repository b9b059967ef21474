"""What chat gateways keep beside the commerce tables: long button payloads under short keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ButtonPayload(Base):
    """A button's Rasa payload under a short key: Telegram carries at most 64 bytes of button data, and a
    key we issued cannot be forged into a payload we never offered."""

    __tablename__ = "button_payloads"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
