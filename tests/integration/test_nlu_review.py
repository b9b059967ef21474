"""The trainer's review inbox on a real database: which shopper messages come in and in what order, identical texts
as one row, the filters, the sample; a seller's "not understood" flag; `shop nlu review`; the transcript button."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from checkout.db.models import AuditLog, Conversation, Message, NluReview, utcnow
from checkout.settings import Settings
from checkout.statuses import ReviewState
from checkout.trainer import review
from checkout.trainer.flagging import MessageNotFlaggable, flag_message
from checkout.trainer.reasons import sampled
from checkout.trainer.review import review_queue, text_key
from cli.context import AppContext
from cli.main import shop
from tests.integration.dashboard import EMAIL, post_form
from tests.integration.orm_builders import add_customer

SETTINGS = Settings()  # SHOP_REVIEW_CONFIDENCE 0.6
NOW = utcnow()


def chat(session, who: str, channel: str = "telegram", **customer) -> Conversation:
    person = add_customer(session, who, channel=channel, **customer)
    conversation = Conversation(customer_id=person.id, sender_id=who, channel=channel)
    session.add(conversation)
    session.flush()
    return conversation


def say(
    session,
    conversation: Conversation,
    text: str,
    intent: str | None = "greet",
    confidence: float | None = 0.95,
    ranking: list | None = None,
    model_id: str | None = "m-1",
    hours_ago: float = 0,
    direction: str = "in",
    entities: list | None = None,
) -> int:
    message = Message(
        conversation_id=conversation.id,
        direction=direction,
        text=text,
        intent=intent if direction == "in" else None,
        confidence=confidence if direction == "in" else None,
        intent_ranking=ranking,
        model_id=model_id if direction == "in" else None,
        entities=entities,
        created_at=NOW - timedelta(hours=hours_ago),
    )
    session.add(message)
    session.flush()
    return message.id


def ranked(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def review_of(session, text: str, state: ReviewState, message_id: int | None = None) -> None:
    session.add(NluReview(text_key=text_key(text), state=state, message_id=message_id))


def inbox(db, **options):
    with db.reading() as session:
        return review_queue(session, SETTINGS, **{"sample_share": 0.0, **options})


def test_each_reason_comes_in_strongest_first_and_the_rest_stays_out(clean_db):
    with clean_db.transaction() as session:
        ana = chat(session, "ana")
        say(session, ana, "hi", "greet", 0.98)  # confident: not in
        say(session, ana, "Hi! What are you looking for?", direction="out")
        say(session, ana, "black or white", "add_to_cart", 0.7, ranked(("add_to_cart", 0.7), ("product_info", 0.65)))
        say(session, ana, "hoodie pls", "add_to_cart", 0.42)
        say(session, ana, "where is my parcel", "nlu_fallback", 0.3)
        say(session, ana, "/affirm", "affirm", 0.2)  # a button's payload
        flagged = say(session, ana, "i want the thing", "add_to_cart", 0.99)
        review_of(session, "i want the thing", ReviewState.FLAGGED, flagged)
        for i, state in enumerate((ReviewState.TRAINING, ReviewState.TEST, ReviewState.IGNORED)):
            say(session, ana, f"Reviewed  text {i}", "inform", 0.2)
            review_of(session, f"reviewed text {i}", state)
        gone = chat(session, "gone", forgotten_at=NOW)
        say(session, gone, "my number is in here", "inform", 0.1)
    rows = inbox(clean_db)
    assert [(row.text, row.reason) for row in rows] == [
        ("i want the thing", "flagged"),
        ("where is my parcel", "fallback"),
        ("hoodie pls", "low_confidence"),
        ("black or white", "small_margin"),
    ]
    assert rows[0].message_id == flagged and rows[0].channel == "telegram" and rows[0].model_id == "m-1"


def test_identical_texts_are_one_row_with_their_count_and_the_latest_message(clean_db):
    with clean_db.transaction() as session:
        ana, bea = chat(session, "ana"), chat(session, "bea", channel="whatsapp")
        say(session, ana, "Hoodie  PLS", "add_to_cart", 0.3, hours_ago=3)
        product = [{"entity": "product", "value": "hoodie", "start": 0, "end": 6}]
        latest = say(
            session, bea, "hoodie pls", "product_info", 0.5, ranked(("product_info", 0.5)), "m-2", 1, entities=product
        )
        say(session, ana, "size?", "inform", 0.2, hours_ago=2)
        say(session, ana, "cap", "add_to_cart", 0.3, hours_ago=5)
        say(session, bea, "CAP", "add_to_cart", 0.9, model_id="m-2", hours_ago=4)  # the new model reads it well
        ana_id, bea_id = ana.id, bea.id
    hoodie, size = inbox(clean_db)
    assert (hoodie.text, hoodie.count, hoodie.message_id, hoodie.intent, hoodie.confidence) == (
        "hoodie pls",
        2,
        latest,
        "product_info",
        0.5,
    )
    assert (hoodie.model_id, hoodie.channel, hoodie.ranking) == (
        "m-2",
        "whatsapp",
        [{"name": "product_info", "confidence": 0.5}],
    )
    assert hoodie.last_seen == NOW - timedelta(hours=1)
    assert hoodie.entities == [{"entity": "product", "value": "hoodie", "start": 0, "end": 6}] and size.entities is None
    assert (hoodie.conversation_id, size.conversation_id) == (bea_id, ana_id)
    assert (size.text, size.count) == ("size?", 1)  # less often written, though less confident


def test_filters_by_intent_model_channel_and_dates(clean_db):
    with clean_db.transaction() as session:
        ana, bea = chat(session, "ana"), chat(session, "bea", channel="whatsapp")
        say(session, ana, "old one", "inform", 0.2, model_id="m-1", hours_ago=72)
        say(session, ana, "cart one", "add_to_cart", 0.3, model_id="m-2", hours_ago=1)
        say(session, bea, "whatsapp one", "inform", 0.4, model_id="m-2", hours_ago=2)

    def texts(**options):
        return sorted(row.text for row in inbox(clean_db, **options))

    assert texts() == ["cart one", "old one", "whatsapp one"]
    assert texts(intent="inform") == ["old one", "whatsapp one"]
    assert texts(model_id="m-2") == ["cart one", "whatsapp one"]
    assert texts(channel="whatsapp") == ["whatsapp one"]
    assert texts(since=NOW - timedelta(days=1)) == ["cart one", "whatsapp one"]
    assert texts(until=NOW - timedelta(days=1)) == ["old one"]
    assert texts(intent="inform", model_id="m-2", channel="telegram") == []
    assert [row.text for row in inbox(clean_db, limit=1)] == ["old one"]  # the least confident first


def test_a_fixed_share_of_the_rest_is_sampled_the_same_every_time(clean_db):
    texts = [f"do you sell item {i}" for i in range(300)]
    with clean_db.transaction() as session:
        ana = chat(session, "ana")
        for text in texts:
            say(session, ana, text, "product_info", 0.97)
    first = inbox(clean_db, sample_share=0.05, limit=1000)
    assert [row.text for row in first] == [row.text for row in inbox(clean_db, sample_share=0.05, limit=1000)]
    assert {row.text for row in first} == {text for text in texts if sampled(text_key(text), 0.05)}
    assert {row.reason for row in first} == {"sample"} and 5 <= len(first) <= 30
    with clean_db.reading() as session:  # the default share is the same 5%
        assert len(review_queue(session, SETTINGS, limit=1000)) == len(first)


def test_flagging_puts_the_text_first_once_for_all_its_copies(clean_db):
    with clean_db.transaction() as session:
        ana, bea = chat(session, "ana"), chat(session, "bea")
        say(session, ana, "hoodie pls", "add_to_cart", 0.2)
        flagged = say(session, ana, "Do you ship to Berlin", "ask_shipping", 0.97, hours_ago=1)
        copy = say(session, bea, "do you ship  to berlin", "ask_shipping", 0.98)
        answer = say(session, ana, "We ship within the EU.", direction="out")
        button = say(session, ana, "/affirm", "affirm", 0.99)
    assert [row.text for row in inbox(clean_db)] == ["hoodie pls"]

    first = flag_message(clean_db, flagged, "seller:owner@example.com")
    assert (first.newly, first.state, first.message_id) == (True, ReviewState.FLAGGED, flagged)
    again = flag_message(clean_db, copy, "seller:other@example.com")
    assert (again.newly, again.state) == (False, ReviewState.FLAGGED)

    top, low = inbox(clean_db)
    assert (top.reason, top.count, top.message_id, low.text) == ("flagged", 2, copy, "hoodie pls")
    with clean_db.reading() as session:
        [entry] = session.scalars(select(NluReview)).all()
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "message.flag")).all()
    assert (entry.state, entry.message_id, entry.flagged_by) == ("flagged", flagged, "seller:owner@example.com")
    assert [(a.actor, a.entity_id) for a in audit] == [("seller:owner@example.com", str(flagged))]

    for not_typed in (answer, button, 999_999):
        with pytest.raises(MessageNotFlaggable):
            flag_message(clean_db, not_typed, "seller:owner@example.com")


def test_a_reviewed_text_stays_reviewed_when_flagged(clean_db):
    with clean_db.transaction() as session:
        message = say(session, chat(session, "ana"), "two please", "add_to_cart", 0.3)
        review_of(session, "two please", ReviewState.TRAINING, message)
    flagged = flag_message(clean_db, message, "seller:owner@example.com")
    assert (flagged.newly, flagged.state) == (False, ReviewState.TRAINING)
    assert inbox(clean_db) == []


def test_a_flagged_text_older_than_the_window_is_still_first(clean_db, monkeypatch):
    monkeypatch.setattr(review, "SCAN_LIMIT", 2)
    with clean_db.transaction() as session:
        ana = chat(session, "ana")
        old = say(session, ana, "the old question", "greet", 0.99, hours_ago=48)
        review_of(session, "the old question", ReviewState.FLAGGED, old)
        for i in range(3):
            say(session, ana, f"new unsure {i}", "inform", 0.3)
    rows = inbox(clean_db)
    assert [(row.text, row.reason) for row in rows[:1]] == [("the old question", "flagged")]
    assert len(rows) == 3  # the flagged one and the window's two


def test_shop_nlu_review_prints_the_rows_as_json_and_as_lines(clean_db):
    with clean_db.transaction() as session:
        ana = chat(session, "ana")
        message = say(session, ana, "hoodie pls", "add_to_cart", 0.42, ranked(("add_to_cart", 0.42), ("greet", 0.3)))
        say(session, ana, "where is my parcel", "nlu_fallback", 0.3, hours_ago=30)
        say(session, ana, "fine thanks", "thank", 0.99)
    app = AppContext(Settings(database_url=clean_db.url))
    try:
        run = CliRunner()
        result = run.invoke(
            shop, ["nlu", "review", "--format", "json", "--limit", "5"], obj=app, catch_exceptions=False
        )
        assert result.exit_code == 0
        rows = json.loads(result.output)
        assert [(r["text"], r["reason"]) for r in rows][-1] == ("hoodie pls", "low_confidence")
        assert rows[-1] | {"last_seen": None} == {
            "message_id": message,
            "text": "hoodie pls",
            "intent": "add_to_cart",
            "confidence": 0.42,
            "ranking": [{"name": "add_to_cart", "confidence": 0.42}, {"name": "greet", "confidence": 0.3}],
            "entities": [],
            "model_id": "m-1",
            "count": 1,
            "reason": "low_confidence",
            "conversation_id": ana.id,
            "channel": "telegram",
            "last_seen": None,
        }
        today = NOW.date().isoformat()
        result = run.invoke(shop, ["nlu", "review", "--since", today, "--intent", "add_to_cart"], obj=app)
        assert result.exit_code == 0, result.output
        assert result.output == f"#{message}\t1x\tlow_confidence\tadd_to_cart 0.42\thoodie pls\n"
        assert run.invoke(shop, ["nlu", "review", "--since", "yesterday"], obj=app).exit_code == 2
    finally:
        if "db" in app.__dict__:
            app.db.dispose()


def test_not_understood_on_a_transcript_flags_the_message(app, seller, shop):
    db = app.extensions["database"]
    page = f"/seller/conversations/{shop['talk']}"
    with db.reading() as session:
        said = session.scalars(
            select(Message).where(Message.conversation_id == shop["talk"]).order_by(Message.id)
        ).all()
    shopper = [m.id for m in said if m.direction == "in"]
    html = seller.get(page).get_data(as_text=True)
    assert re.findall(r'action="/seller/messages/(\d+)/flag"', html) == [str(i) for i in shopper]  # not the bot's

    response = post_form(seller, f"/seller/messages/{shopper[0]}/flag", page=page)
    assert response.headers["Location"] == f"{page}#m{shopper[0]}"
    html = seller.get(page).get_data(as_text=True)
    assert "it is first in the trainer" in html and 'review-state">flagged<' in html
    assert re.findall(r'action="/seller/messages/(\d+)/flag"', html) == [str(shopper[1])]
    with db.reading() as session:
        [entry] = session.scalars(select(NluReview)).all()
        assert (entry.message_id, entry.state, entry.flagged_by) == (shopper[0], "flagged", f"seller:{EMAIL}")
        assert review_queue(session, SETTINGS, sample_share=0.0)[0].message_id == shopper[0]

    bot_message = next(m.id for m in said if m.direction == "out")
    assert post_form(seller, f"/seller/messages/{bot_message}/flag", page=page).status_code == 404
    assert seller.post(f"/seller/messages/{shopper[1]}/flag").status_code in (400, 403)  # no CSRF token
