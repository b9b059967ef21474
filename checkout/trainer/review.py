"""The trainer's review inbox: the shopper messages worth a look, most useful first.

Cost: one query reads the latest SCAN_LIMIT shopper messages that match the filters (newest ids first, through
the primary key), then identical texts are grouped and ranked in Python: about half a second on SQLite for a full
window of 20,000 on the development machine, linear in the window. Older messages are reached by narrowing the
dates (`until`). Flagged texts are the exception: their flagged message is read even when older than the window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Row, Select, not_, select
from sqlalchemy.orm import Session

from checkout.db.models import Conversation, Customer, Message, NluReview
from checkout.orders.export import isoformat_utc
from checkout.settings import Settings
from checkout.statuses import ReviewState
from checkout.trainer.reasons import REASON_RANK, Reason, reason_for

SCAN_LIMIT = 20_000
BUTTON_PREFIX = "/"  # a button's payload ("/affirm"), not words a shopper typed


@dataclass(frozen=True)
class ReviewRow:
    """One text (all its identical copies), with the data of its latest message."""

    text_key: str
    text: str
    message_id: int
    intent: str | None
    confidence: float | None
    ranking: list | None  # [{"name", "confidence"}], best first
    entities: list | None
    model_id: str | None
    conversation_id: int
    channel: str
    last_seen: datetime
    count: int
    reason: Reason


def text_key(text: str) -> str:
    """The identity of a text for reviewing: "Do you ship  to Berlin?" and "do you ship to berlin?" are one."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()


def review_queue(
    session: Session,
    settings: Settings,
    *,
    intent: str | None = None,
    model_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    channel: str | None = None,
    limit: int = 50,
    sample_share: float = 0.05,
) -> list[ReviewRow]:
    """Texts shoppers wrote that a trainer should look at, most useful first: by reason, then the most often
    written, the least confident, the latest. Reviewed texts (training, test, ignored) are left out. The reason
    is judged on each text's latest message: once a new model reads a text well, it leaves the inbox."""
    states = {key: state for key, state in session.execute(select(NluReview.text_key, NluReview.state))}
    candidates = _candidates(intent, model_id, since, until, channel)
    groups: dict[str, _Group] = {}
    seen: set[int] = set()
    for row in session.execute(candidates.order_by(Message.id.desc()).limit(SCAN_LIMIT)):
        _add(groups, states, row)
        seen.add(row.id)
    flagged = session.scalars(
        select(NluReview.message_id).where(NluReview.state == ReviewState.FLAGGED, NluReview.message_id.is_not(None))
    ).all()
    older = [message_id for message_id in flagged if message_id not in seen]
    for row in session.execute(candidates.where(Message.id.in_(older))) if older else ():
        _add(groups, states, row)  # flagged, and older than the window: still first
    threshold = settings.shop_review_confidence
    rows = []
    for key, group in groups.items():
        latest = group.latest
        reason = reason_for(
            key,
            latest.intent,
            latest.confidence,
            latest.intent_ranking,
            states.get(key) == ReviewState.FLAGGED,
            threshold,
            sample_share,
        )
        if reason is not None:
            rows.append(group.review_row(key, reason))
    rows.sort(key=_usefulness)
    shown = rows[: max(limit, 0)]
    # Entities are read for the rows shown only: decoding them for every scanned message took half the time.
    found = session.execute(select(Message.id, Message.entities).where(Message.id.in_([r.message_id for r in shown])))
    entities = {message_id: value for message_id, value in found}
    return [replace(row, entities=entities.get(row.message_id)) for row in shown]


def review_row_to_dict(row: ReviewRow) -> dict:
    return {
        "message_id": row.message_id,
        "text": row.text,
        "intent": row.intent,
        "confidence": row.confidence,
        "ranking": row.ranking or [],
        "entities": row.entities or [],
        "model_id": row.model_id,
        "count": row.count,
        "reason": str(row.reason),
        "conversation_id": row.conversation_id,
        "channel": row.channel,
        "last_seen": isoformat_utc(row.last_seen),
    }


def _candidates(
    intent: str | None, model_id: str | None, since: datetime | None, until: datetime | None, channel: str | None
) -> Select:
    """Typed shopper messages of people not forgotten, with the filters given."""
    query = (
        select(
            Message.id,
            Message.text,
            Message.intent,
            Message.confidence,
            Message.intent_ranking,
            Message.model_id,
            Message.conversation_id,
            Message.created_at,
            Conversation.channel,
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(
            Message.direction == "in",
            Message.text.is_not(None),
            not_(Message.text.startswith(BUTTON_PREFIX, autoescape=True)),
            Customer.forgotten_at.is_(None),
        )
    )
    if intent:
        query = query.where(Message.intent == intent)
    if model_id:
        query = query.where(Message.model_id == model_id)
    if channel:
        query = query.where(Conversation.channel == channel)
    if since is not None:
        query = query.where(Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at < until)
    return query


class _Group:
    """Identical texts: how many, when last, and the latest message's row."""

    def __init__(self, latest: Row) -> None:
        self.latest, self.count, self.last_seen = latest, 0, latest.created_at

    def add(self, row: Row) -> None:
        self.count += 1
        if row.id > self.latest.id:
            self.latest = row
        self.last_seen = max(self.last_seen, row.created_at)

    def review_row(self, key: str, reason: Reason) -> ReviewRow:
        m = self.latest
        return ReviewRow(
            key,
            m.text,
            m.id,
            m.intent,
            m.confidence,
            m.intent_ranking,
            None,  # entities: read for the rows shown only
            m.model_id,
            m.conversation_id,
            m.channel,
            self.last_seen,
            self.count,
            reason,
        )


def _add(groups: dict[str, _Group], states: dict[str, str], row: Row) -> None:
    if not row.text.strip():
        return
    key = text_key(row.text)
    if states.get(key, ReviewState.FLAGGED) != ReviewState.FLAGGED:
        return  # reviewed: in the training data, the test data, or ignored
    groups.setdefault(key, _Group(row)).add(row)


def _usefulness(row: ReviewRow) -> tuple:
    confidence = row.confidence if row.confidence is not None else 0.0
    return REASON_RANK[row.reason], -row.count, confidence, -row.last_seen.timestamp(), -row.message_id
