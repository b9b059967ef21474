"""What the records consumer keeps for itself: how far it has read each broker table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ConsumerPosition(Base):
    """How far the records consumer has read a broker table; moved in the same transaction as the rows it wrote."""

    __tablename__ = "consumer_positions"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
