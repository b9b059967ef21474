"""Annotate: a trainer's verdict on a shopper message becomes a training or held-out example, or is ignored.

The files are written before the review is recorded: when the recording fails, annotating the message again
finds its example in the file ("nothing to add") and records it then.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import Message, NluReview, Order
from checkout.errors import CheckoutError
from checkout.statuses import ReviewState
from checkout.trainer.annotated_example import example_line
from checkout.trainer.examples_file import ExamplePlace, add_example, example_places, normalised
from checkout.trainer.markup import MarkupError, parse_markup
from checkout.trainer.personal_data import personal_data_in
from checkout.trainer.review import BUTTON_PREFIX, text_key
from checkout.trainer.review_files import ReviewFiles

REVIEWED = (ReviewState.TRAINING, ReviewState.TEST)


class Refusal(StrEnum):
    UNKNOWN_MESSAGE = "unknown_message"
    NOT_SHOPPER_MESSAGE = "not_shopper_message"  # the shop's own reply, or a button's payload
    UNKNOWN_INTENT = "unknown_intent"
    BAD_ENTITIES = "bad_entities"
    PERSONAL_DATA = "personal_data"
    CONFLICT = "conflict"  # the text is an example of another intent
    HELD_OUT = "held_out"  # training and held-out data would share the text
    ALREADY_REVIEWED = "already_reviewed"


class AnnotationRefused(CheckoutError):
    """`details` says why in words; `found` lists the personal data kinds or the places of a conflict."""

    def __init__(self, reason: Refusal, details: str, found: Sequence[str] = ()):
        super().__init__(details)
        self.reason, self.details, self.found = reason, details, tuple(found)


@dataclass(frozen=True)
class AnnotationResult:
    message_id: int
    intent: str
    example: str  # as written, with [entity](markup)
    state: ReviewState
    path: Path  # the file holding the example
    added: bool  # False: the file had it already


def annotate(
    db: Database,
    files: ReviewFiles,
    message_id: int,
    intent: str,
    *,
    entities: Sequence[Mapping[str, object]] | None = None,
    markup: str | None = None,
    test: bool = False,
    actor: str,
) -> AnnotationResult:
    """Adds the message's text under `intent` to the training file (or the held-out one), with `entities`
    (spans on the message text) or as the trainer's `markup` (their edit of the text); with neither, the
    entities the model found, values as written. Refuses with AnnotationRefused."""
    with _one_writer(files.root):
        with db.reading() as session:
            message = _shopper_message(session, message_id)
            key, text, predicted = text_key(message.text or ""), message.text or "", message.entities
            _refuse_reviewed(session.scalar(select(NluReview).where(NluReview.text_key == key)))
            names = _names(session, message)
        if intent not in files.intents():
            raise AnnotationRefused(Refusal.UNKNOWN_INTENT, f"{intent!r} is not an intent of the domain")
        try:
            example = example_line(text, entities, markup, predicted, files.entities())
        except MarkupError as exc:
            raise AnnotationRefused(Refusal.BAD_ENTITIES, str(exc)) from None
        plain, spans = parse_markup(example)
        found = personal_data_in("\n".join([plain, *(e.value for e in spans)]), names)
        if found:
            raise AnnotationRefused(Refusal.PERSONAL_DATA, f"the text holds a {' and a '.join(found)}", found)
        target = files.test if test else files.training
        places = example_places(files.training_paths() + files.test_paths()).get(normalised(plain), [])
        _refuse_conflicts(files, places, intent, test)
        added = add_example(target, intent, example) if not places else False
        state = ReviewState.TEST if test else ReviewState.TRAINING
        with db.transaction() as session:
            review = session.scalar(select(NluReview).where(NluReview.text_key == key))
            _refuse_reviewed(review)  # reviewed by someone else meanwhile (another machine's files)
            review = review or _new_review(session, key)
            review.message_id, review.state, review.intent = message_id, state, intent
            review.example, review.reviewed_by = example, actor
        return AnnotationResult(message_id, intent, example, state, places[0].path if places else target, added)


def ignore(db: Database, message_id: int, actor: str) -> None:
    """The text needs no example: it leaves the inbox. An annotated text stays annotated (its example is in a
    file, which ignoring would not undo)."""
    with db.transaction() as session:
        message = _shopper_message(session, message_id)
        key = text_key(message.text or "")
        review = session.scalar(select(NluReview).where(NluReview.text_key == key))
        _refuse_reviewed(review)
        review = review or _new_review(session, key)
        review.message_id, review.state, review.reviewed_by = message_id, ReviewState.IGNORED, actor


def _shopper_message(session: Session, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise AnnotationRefused(Refusal.UNKNOWN_MESSAGE, f"no message with id {message_id}")
    text = message.text or ""
    if message.direction != "in" or not text.strip() or text.startswith(BUTTON_PREFIX):
        raise AnnotationRefused(Refusal.NOT_SHOPPER_MESSAGE, f"message {message_id} is not text a shopper typed")
    return message


def _new_review(session: Session, key: str) -> NluReview:
    review = NluReview(text_key=key)
    session.add(review)
    return review


def _refuse_reviewed(review: NluReview | None) -> None:
    if review is not None and review.state in REVIEWED:
        raise AnnotationRefused(
            Refusal.ALREADY_REVIEWED, f"this text was already added to {review.state} data as {review.intent}"
        )


def _names(session: Session, message: Message) -> list[str]:
    """The names its writer gave: as a customer and on their orders' delivery details."""
    customer = message.conversation.customer
    ordered = session.scalars(select(Order.customer_name).where(Order.customer_id == customer.id)).all()
    return [name for name in {customer.name, *ordered} if name]


def _refuse_conflicts(files: ReviewFiles, places: list[ExamplePlace], intent: str, test: bool) -> None:
    others = [p for p in places if p.intent != intent]
    if others:
        where = [f"{files.relative(p.path)}: {p.intent}" for p in others]
        raise AnnotationRefused(Refusal.CONFLICT, f"the text is already an example of {'; '.join(where)}", where)
    across = [p for p in places if files.is_test(p.path) != test]
    if across:
        where = [files.relative(p.path) for p in across]
        side = "held-out" if not test else "training"
        raise AnnotationRefused(Refusal.HELD_OUT, f"the text is in {side} data ({', '.join(where)})", where)


@contextmanager
def _one_writer(root: Path) -> Iterator[None]:
    """One annotation of a project at a time: each reads every file, decides, then writes one."""
    handle = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
