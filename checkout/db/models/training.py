"""What the trainer loop keeps: reviews of shopper messages, and the models with their scores and live periods."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class NluReview(Base):
    """A trainer's (or a seller's) verdict on a text shoppers wrote. One per text: identical texts are reviewed
    once, so a reviewed text leaves the inbox wherever it was written again."""

    __tablename__ = "nlu_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the normalised text
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)  # the row acted on
    state: Mapped[str] = mapped_column(String(12))  # ReviewState
    intent: Mapped[str | None] = mapped_column(String(64))  # the right intent, once annotated
    example: Mapped[str | None] = mapped_column(Text)  # the text with [entity](markup), as written to the file
    flagged_by: Mapped[str | None] = mapped_column(String(100))  # who marked it "not understood"
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NluModel(Base):
    """A trained model the shop knows: a candidate until activated, then live until another one is."""

    __tablename__ = "nlu_models"
    # At most one live model, also when two activations race: the second one's commit fails instead.
    __table_args__ = (
        Index(
            "uq_nlu_models_one_live",
            "state",
            unique=True,
            sqlite_where=text("state = 'live'"),
            postgresql_where=text("state = 'live'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64), unique=True)  # Rasa's, from the archive's metadata.json
    fingerprint: Mapped[str] = mapped_column(String(64))  # of its training inputs (cli/training.py): the file name
    path: Mapped[str] = mapped_column(String(500))
    origin: Mapped[str] = mapped_column(String(20))  # ModelOrigin: review (a trainer's Train), catalog, start
    state: Mapped[str] = mapped_column(String(12))  # ModelState
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Held-out scores when compared: {"intent_f1", "entity_f1", "per_intent": {name: [f1, support]}, ...}
    scores: Mapped[dict | None] = mapped_column(JSON)
    gate: Mapped[dict | None] = mapped_column(JSON)  # {"passed": bool, "reasons": [...], "against": model_id}
    live_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    live_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_by: Mapped[str | None] = mapped_column(String(100))
    override_reason: Mapped[str | None] = mapped_column(Text)  # activated past a failed gate: why
