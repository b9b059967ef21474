"""One shopper message as the trainer annotates it on the dashboard: what the model read in it, whether its text was
reviewed already, and the example line to start from (the text with the model's entities as [piece](entity))."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import Conversation, Message, NluReview
from checkout.statuses import ReviewState
from checkout.trainer.annotated_example import example_line
from checkout.trainer.flagging import flaggable
from checkout.trainer.markup import MarkupError
from checkout.trainer.review import text_key


@dataclass(frozen=True)
class ReviewItem:
    message_id: int
    text: str
    intent: str | None
    confidence: float | None
    ranking: list  # [{"name", "confidence"}], best first
    entities: list
    model_id: str | None
    conversation_id: int
    channel: str
    created_at: datetime
    state: ReviewState | None  # its text's review: None when not reviewed nor flagged
    reviewed_intent: str | None
    reviewed_example: str | None
    markup: str  # the example line to start editing from


def review_item(session: Session, message_id: int, entity_names: Collection[str]) -> ReviewItem | None:
    """None when there is no such message, or it is not text a shopper typed (nothing to annotate)."""
    message = session.get(Message, message_id)
    if message is None or not flaggable(message):
        return None
    text = message.text or ""
    conversation = session.get(Conversation, message.conversation_id)
    review = session.scalar(select(NluReview).where(NluReview.text_key == text_key(text)))
    return ReviewItem(
        message.id,
        text,
        message.intent,
        message.confidence,
        message.intent_ranking or [],
        message.entities or [],
        message.model_id,
        message.conversation_id,
        conversation.channel if conversation is not None else "",
        message.created_at,
        ReviewState(review.state) if review is not None else None,
        review.intent if review is not None else None,
        review.example if review is not None else None,
        starting_markup(text, message.entities, entity_names),
    )


def starting_markup(text: str, predicted: list | None, entity_names: Collection[str]) -> str:
    """What annotating with no edit would write; a text Rasa would misread as markup starts as plain words (the
    trainer edits its brackets out, or annotating refuses it and says why)."""
    try:
        return example_line(text, None, None, predicted, entity_names)
    except MarkupError:
        return " ".join(text.split())


def review_channels(session: Session) -> list[str]:
    """The channels shoppers wrote from, for the inbox's channel filter."""
    return list(session.scalars(select(Conversation.channel).distinct().order_by(Conversation.channel)))
