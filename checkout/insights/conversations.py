"""The funnel from conversation to paid order, and how often the assistant did not understand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from checkout.db.models import Conversation, Message
from checkout.insights.periods import Bucket

# The same bar as the FallbackClassifier in config.yml: below it Rasa answers with nlu_fallback anyway.
LOW_CONFIDENCE = 0.4
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Funnel:
    conversations: int
    carts: int
    orders: int
    paid: int

    def steps(self) -> list[tuple[str, int]]:
        return [
            ("Conversations", self.conversations),
            ("Carts", self.carts),
            ("Orders", self.orders),
            ("Paid", self.paid),
        ]


@dataclass(frozen=True)
class Understanding:
    buckets: list[Bucket]
    messages: list[int]
    not_understood: list[int]

    @property
    def shares(self) -> list[float | None]:
        return [n / m if m else None for n, m in zip(self.not_understood, self.messages, strict=True)]


def funnel(session: Session, since: datetime) -> Funnel:
    counts = session.execute(
        select(
            func.count(Conversation.id),
            func.count(Conversation.id).filter(Conversation.had_cart.is_(True)),
            func.count(Conversation.id).filter(Conversation.had_order.is_(True)),
            func.count(Conversation.id).filter(Conversation.had_paid_order.is_(True)),
        ).where(Conversation.started_at >= since)
    ).one()
    return Funnel(*(int(c) for c in counts))


def understanding(session: Session, buckets: list[Bucket], threshold: float = LOW_CONFIDENCE) -> Understanding:
    """Shopper messages per bucket, and those read as nlu_fallback or below the confidence bar.
    One query with a pair of sums per bucket, so it works the same on SQLite and PostgreSQL."""
    missed = or_(Message.intent == FALLBACK_INTENT, Message.confidence < threshold)
    columns = []
    for b in buckets:
        inside = (Message.created_at >= b.start) & (Message.created_at < b.end)
        columns += [func.sum(case((inside, 1), else_=0)), func.sum(case((inside & missed, 1), else_=0))]
    row = session.execute(
        select(*columns).where(Message.direction == "in", Message.created_at >= buckets[0].start)
    ).one()
    values = [int(v or 0) for v in row]
    return Understanding(buckets, values[0::2], values[1::2])
