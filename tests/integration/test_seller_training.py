"""The trainer's dashboard pages under the Flask test client: the review inbox and its filters, annotating into a
copy of the project (never the repository's data/ or tests/nlu/), refusals, ignoring; asking for a training and
following it; the comparison, activation past the gate or with a reason, and roll back against the fake Rasa's
`PUT /model` (tests/fake_rasa.py)."""

from __future__ import annotations

import html
import re
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from checkout.audit import audit_history
from checkout.db.models import Conversation, Message, NluReview, utcnow
from checkout.learning import beat, learning_status, record_status, take_model_training_request
from checkout.settings import PROJECT_ROOT
from checkout.statuses import ModelOrigin, ModelState, ReviewState
from checkout.trainer.examples_file import read_examples
from checkout.trainer.reasons import sampled
from checkout.trainer.registry import find_model, live_model, record_scores, register_model
from checkout.trainer.review import text_key
from checkout.trainer.review_files import ReviewFiles
from tests.integration.dashboard import EMAIL, XSS, post_form
from tests.integration.orm_builders import add_customer
from tests.model_archives import write_model_archive

NOW = utcnow()


@pytest.fixture
def files(tmp_path) -> ReviewFiles:
    """A copy of the project's Rasa files for annotations to write into."""
    root = tmp_path / "project"
    (root / "tests" / "nlu").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "domain.yml", root / "domain.yml")
    shutil.copytree(PROJECT_ROOT / "data", root / "data", ignore=shutil.ignore_patterns("nlu_reviewed.yml", "catalog"))
    for path in (PROJECT_ROOT / "tests" / "nlu").glob("*.yml"):
        if path.name != "heldout_reviewed.yml":
            shutil.copy(path, root / "tests" / "nlu" / path.name)
    return ReviewFiles(root)


@pytest.fixture
def app(app, files):
    app.config["REVIEW_FILES"] = files
    return app


def chat(session, who: str, channel: str = "telegram") -> Conversation:
    person = add_customer(session, who, channel=channel)
    conversation = Conversation(customer_id=person.id, sender_id=who, channel=channel)
    session.add(conversation)
    session.flush()
    return conversation


def say(session, conversation, text, intent="greet", confidence=0.95, ranking=None, model_id="live-model-1", **kw):
    message = Message(
        conversation_id=conversation.id,
        direction=kw.get("direction", "in"),
        text=text,
        intent=intent,
        confidence=confidence,
        intent_ranking=ranking or [{"name": intent, "confidence": confidence}],
        model_id=model_id,
        entities=kw.get("entities"),
        created_at=NOW - timedelta(days=kw.get("days_ago", 0)),
    )
    session.add(message)
    session.flush()
    return message.id


def ranked(*pairs) -> list[dict]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


@pytest.fixture
def inbox(clean_db) -> dict:
    """Messages of each reason, and a confident one that stays out."""
    hoodie = [{"start": 14, "end": 19, "entity": "color", "value": "black"}]
    with clean_db.transaction() as session:
        ana, ben = chat(session, "ana"), chat(session, "ben", channel="whatsapp")
        say(session, ana, "Do u have the black hoodie in M??", "product_info", 0.45, days_ago=1)  # the same text
        ids = {
            "hoodie": say(session, ana, "do u have the black hoodie in M??", "product_info", 0.41, entities=hoodie),
            "parcel": say(session, ben, "where is my parcel mate", "nlu_fallback", 0.3, model_id="old-model-0"),
            "close": say(
                session, ben, "black or white", "add_to_cart", 0.7, ranked(("add_to_cart", 0.7), ("product_info", 0.65))
            ),
            "xss": say(session, ana, XSS, "nlu_fallback", 0.2, days_ago=3),
            "confident": say(session, ana, "hello there", "greet", 0.99),
        }
        say(session, ana, "Hi! What are you looking for?", None, None, direction="out")
    assert not sampled(text_key("hello there"), 0.05)  # the sample would put it in
    return ids


def rows(page: str) -> list[str]:
    """The inbox's texts, in order."""
    return [html.unescape(t) for t in re.findall(r'class="review-text">([^<]*)</a>', page)]


def test_the_inbox_shows_the_messages_worth_a_look_most_useful_first(seller, inbox):
    page = seller.get("/seller/training").get_data(as_text=True)
    assert rows(page) == [XSS, "where is my parcel mate", "do u have the black hoodie in M??", "black or white"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "×2" in page  # the hoodie text was written twice
    assert '<span class="badge reason-fallback">fallback</span>' in page
    assert '<span class="badge reason-low_confidence">low confidence</span>' in page
    assert '<span class="badge reason-small_margin">close call</span>' in page
    assert '<li>product_info <span class="muted">0.65</span></li>' in page  # the ranking's second
    assert '<span class="badge">color=black</span>' in page
    assert '<code title="old-model-0">old-mode</code>' in page
    assert f'href="/seller/conversations/1#m{inbox["hoodie"]}"' in page
    assert f'href="/seller/training/messages/{inbox["hoodie"]}?back=/seller/training"' in page
    assert 'href="/seller/training" aria-current="page">Training</a>' in page


def test_the_inbox_filters_by_intent_model_channel_and_dates(seller, inbox):
    def shown(query: str) -> list[str]:
        return rows(seller.get(f"/seller/training?{query}").get_data(as_text=True))

    assert shown("intent=nlu_fallback") == [XSS, "where is my parcel mate"]
    assert shown("model=old-model-0") == ["where is my parcel mate"]
    assert shown("channel=whatsapp") == ["where is my parcel mate", "black or white"]
    today = NOW.date()
    assert XSS not in shown(f"from={today - timedelta(days=1)}&to={today}")
    assert shown(f"from={today - timedelta(days=3)}&to={today - timedelta(days=3)}") == [XSS]
    page = seller.get("/seller/training?intent=made_up&from=yesterday").get_data(as_text=True)
    assert "There is no intent &#39;made_up&#39; in the domain" in page and "is not a date like" in page
    assert len(rows(page)) == 4
    assert '<option value="old-model-0" selected>' in seller.get("/seller/training?model=old-model-0").get_data(
        as_text=True
    )


def test_annotating_adds_the_example_with_the_models_entities_and_returns_to_the_inbox(app, seller, inbox, files):
    message = inbox["hoodie"]
    form = f"/seller/training/messages/{message}?back=/seller/training?channel%3Dtelegram"
    page = seller.get(form).get_data(as_text=True)
    assert "do u have the [black](color) hoodie in M??</textarea>" in page  # prefilled from the model's entities
    assert '<option value="product_info" selected>' in page
    markup = "do u have the [black](color) hoodie in [M](size)??"
    data = {"intent": "product_info", "markup": markup, "to": "training", "back": "/seller/training?channel=telegram"}
    response = post_form(seller, f"/seller/training/messages/{message}/annotate", data, page=form)
    assert response.status_code == 302 and response.headers["Location"] == "/seller/training?channel=telegram"
    assert read_examples(files.training) == {"product_info": [markup]}
    page = seller.get("/seller/training").get_data(as_text=True)
    assert f"Added to data/nlu_reviewed.yml as product_info: {html.escape(markup)}" in page
    assert "do u have the black hoodie in M??" not in rows(page)
    with app.extensions["database"].reading() as session:
        review = session.scalar(select(NluReview).where(NluReview.message_id == message))
    assert (review.state, review.intent, review.reviewed_by) == ("training", "product_info", f"seller:{EMAIL}")
    assert "already added to the training data as <strong>product_info</strong>" in seller.get(form).get_data(
        as_text=True
    )


def test_add_to_test_data_writes_the_held_out_file(seller, inbox, files):
    message = inbox["parcel"]
    data = {"intent": "order_status", "markup": "where is my parcel mate", "to": "test"}
    assert post_form(seller, f"/seller/training/messages/{message}/annotate", data).status_code == 302
    assert read_examples(files.test) == {"order_status": ["where is my parcel mate"]}
    assert not files.training.exists()


def test_refusals_say_what_was_found_and_keep_what_the_trainer_entered(seller, inbox, files):
    path = f"/seller/training/messages/{inbox['parcel']}/annotate"
    phone = "where is my parcel, call me on 06 12 34 56 78"
    response = post_form(seller, path, {"intent": "order_status", "markup": phone, "to": "training"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not added: the text holds personal data" in page and "<code>phone number</code>" in page
    assert f"{phone}</textarea>" in page and '<option value="order_status" selected>' in page
    response = post_form(seller, path, {"intent": "goodbye", "markup": "hi", "to": "training"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already an example of another intent" in page and "<code>data/nlu.yml: greet</code>" in page
    response = post_form(seller, path, {"intent": "greet", "markup": "where is [my](colour parcel", "to": "training"})
    assert "cannot be read" in response.get_data(as_text=True)
    assert not files.training.exists()
    assert post_form(seller, "/seller/training/messages/999999/annotate", {"intent": "greet"}).status_code == 404
    assert seller.get("/seller/training/messages/999999").status_code == 404


def test_ignore_takes_the_text_out_of_the_inbox(app, seller, inbox):
    response = post_form(seller, f"/seller/training/messages/{inbox['close']}/ignore", {"back": "/seller/training"})
    assert response.headers["Location"] == "/seller/training"
    page = seller.get("/seller/training").get_data(as_text=True)
    assert "Ignored: the text left the inbox." in page and "black or white" not in rows(page)
    with app.extensions["database"].reading() as session:
        assert session.scalar(select(NluReview.state).where(NluReview.text_key == text_key("black or white"))) == (
            ReviewState.IGNORED
        )
    post_form(seller, f"/seller/training/messages/{inbox['parcel']}/annotate", {"intent": "order_status"})
    response = post_form(seller, f"/seller/training/messages/{inbox['parcel']}/ignore")
    assert "Not ignored: this text was already added to training data" in seller.get(
        response.headers["Location"]
    ).get_data(as_text=True)


def test_train_asks_the_shops_trainer_and_the_page_follows_it(app, seller):
    settings = app.config["SETTINGS"]
    response = post_form(seller, "/seller/training/train", page="/seller/training/models")
    requested = re.search(r"requested=(\w+)", response.headers["Location"]).group(1)
    page = seller.get(response.headers["Location"]).get_data(as_text=True)
    assert "trainer is not running" in page and "Training requested: waiting for the shop's trainer" in page
    assert "data-refresh" not in page  # nothing will change until the trainer runs
    beat(settings)  # the trainer runs: a request that is not taken yet refreshes the page
    assert 'data-refresh="4"' in seller.get(response.headers["Location"]).get_data(as_text=True)
    assert take_model_training_request(settings) == requested  # what `shop learn` takes
    started = time.time() - 75
    record_status(
        settings, "training", stage="DIETClassifier", epoch=12, epochs=100, started_at=started, request=requested
    )
    page = seller.get(response.headers["Location"]).get_data(as_text=True)
    assert "DIETClassifier" in page and '<dd class="learning-epoch">12/100</dd>' in page and "<dd>1:15</dd>" in page
    assert 'data-refresh="4"' in page and "Cancel training" in page and ">Train</button>" not in page
    post_form(seller, "/seller/training/cancel", page="/seller/training/models")
    assert (Path(settings.shop_catalog_terms_file).parent / "learning" / "cancel.json").exists()
    record_status(settings, "failed", "cancelled", request=requested, started_at=started)
    page = seller.get("/seller/training/models").get_data(as_text=True)
    assert "data-refresh" not in page and ">Train</button>" in page and "cancelled" in page
    assert "There is no training to cancel." in seller.get(
        post_form(seller, "/seller/training/cancel", page="/seller/training/models").headers["Location"]
    ).get_data(as_text=True)


def scores(intent_f1, entity_f1, per_intent, errors=()) -> dict:
    return {"intent_f1": intent_f1, "entity_f1": entity_f1, "per_intent": per_intent, "errors": list(errors)}


@pytest.fixture
def models(clean_db, tmp_path) -> dict:
    """A live model with its scores and a newer candidate trained since."""
    live = write_model_archive(tmp_path / "models" / "aaaa.tar.gz", "live-model-1", "2026-12-01T10:00:00")
    candidate = write_model_archive(tmp_path / "models" / "bbbb.tar.gz", "candidate-2", "2026-12-01T11:00:00")
    register_model(clean_db, live, ModelOrigin.START, ModelState.LIVE)
    register_model(clean_db, candidate, ModelOrigin.REVIEW, ModelState.CANDIDATE)
    record_scores(
        clean_db,
        "live-model-1",
        scores(
            0.95, 0.97, {"order_status": [0.9, 8], "greet": [1.0, 6]}, [["where's my stuff", "order_status", "greet"]]
        ),
    )
    return {"live": live, "candidate": candidate}


def compared(db, passed: bool, reasons=()) -> None:
    record_scores(
        db,
        "candidate-2",
        scores(
            0.96,
            0.965,
            {"order_status": [1.0, 8], "greet": [0.92, 6]},
            [["hey you", "greet", "out_of_scope"], ["yo", "greet", "out_of_scope"]],
        ),
        {"passed": passed, "reasons": list(reasons), "against": "live-model-1", "at": "2026-12-01T11:05:00+00:00"},
    )


def test_the_comparison_is_shown_and_a_candidate_past_the_gate_is_activated(app, seller, rasa, models):
    db = app.extensions["database"]
    page = seller.get("/seller/training/models").get_data(as_text=True)
    assert "Not compared with the live model yet" in page and "Activate past the gate" in page
    compared(db, True)
    page = seller.get("/seller/training/models").get_data(as_text=True)
    assert re.search(r"Intent macro-F1</td>.*?0\.950</td>.*?0\.960</td>.*?\+0\.010", page, re.S)
    assert re.search(r"Entity F1</td>.*?0\.970</td>.*?0\.965</td>.*?-0\.005", page, re.S)
    assert re.search(r"order_status</td>\s*<td[^>]*>8</td>.*?0\.900.*?1\.000.*?\+0\.100", page, re.S)
    assert re.search(r'greet</td>\s*<td[^>]*>6</td>.*?class="worse">-0\.080', page, re.S)
    assert "<strong>greet</strong> read as <strong>out_of_scope</strong> (0 → 2)" in page
    assert "<q>hey you</q>" in page and "Gate passed" in page
    response = post_form(seller, "/seller/training/models/candidate-2/activate", page="/seller/training/models")
    page = seller.get(response.headers["Location"]).get_data(as_text=True)
    assert "Activated model candidate-2: live in 1 Rasa server(s)" in page
    assert rasa.loaded == [str(models["candidate"].resolve())]
    with db.reading() as session:
        assert live_model(session).model_id == "candidate-2"
        [entry] = audit_history(session, "nlu_model", "candidate-2")
    assert (entry.action, entry.actor) == ("model.activated", f"seller:{EMAIL}")


def test_a_refused_candidate_goes_live_only_with_a_reason(app, seller, rasa, models):
    db = app.extensions["database"]
    compared(db, False, ["intent greet (6 test examples): F1 0.920 is 0.080 below the live model's 1.000"])
    page = seller.get("/seller/training/models").get_data(as_text=True)
    assert "Gate refused" in page and "F1 0.920 is 0.080 below" in page
    assert ">Activate</button>" not in page and "Activate past the gate" in page
    activate = "/seller/training/models/candidate-2/activate"
    response = post_form(seller, activate, page="/seller/training/models")  # as if the form were forged
    assert "the gate refused it: intent greet" in seller.get(response.headers["Location"]).get_data(as_text=True)
    response = post_form(seller, activate, {"override": "1", "reason": "  "}, page="/seller/training/models")
    assert "An override needs a reason" in seller.get(response.headers["Location"]).get_data(as_text=True)
    assert rasa.loaded == []
    reason = "greet examples were mislabelled in the held-out file"
    post_form(seller, activate, {"override": "1", "reason": reason}, page="/seller/training/models")
    assert rasa.loaded == [str(models["candidate"].resolve())]
    with db.reading() as session:
        row = find_model(session, "candidate-2")
        [entry] = audit_history(session, "nlu_model", "candidate-2")
    assert (row.state, row.override_reason, row.activated_by) == ("live", reason, f"seller:{EMAIL}")
    assert entry.details["override_reason"] == reason and entry.details["gate_passed"] is False
    assert f"(override: {reason})" in seller.get("/seller/training/models").get_data(as_text=True)


def test_roll_back_reactivates_the_previous_model_and_a_failing_rasa_changes_nothing(app, seller, rasa, models):
    db = app.extensions["database"]
    compared(db, True)
    post_form(seller, "/seller/training/models/candidate-2/activate", page="/seller/training/models")
    page = seller.get("/seller/training/models").get_data(as_text=True)
    assert "Roll back to live-mod" in page
    rasa.failing_loads = True
    response = post_form(seller, "/seller/training/models/rollback", page="/seller/training/models")
    assert "Nothing changed: Rasa at" in seller.get(response.headers["Location"]).get_data(as_text=True)
    rasa.failing_loads = False
    response = post_form(seller, "/seller/training/models/rollback", page="/seller/training/models")
    assert "Rolled back to model live-model-1" in seller.get(response.headers["Location"]).get_data(as_text=True)
    assert rasa.loaded[-1] == str(models["live"].resolve())
    with db.reading() as session:
        assert live_model(session).model_id == "live-model-1"
        assert find_model(session, "candidate-2").state == ModelState.RETIRED
    assert learning_status(app.config["SETTINGS"]).state == "idle"  # activating trains nothing
