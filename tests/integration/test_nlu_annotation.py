"""Annotate: shopper messages become training or held-out examples in a copy of the project (never the repository's
own data/ or tests/nlu/), the review is recorded, and what must not enter the files is refused."""

from __future__ import annotations

import functools
import itertools
import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from checkout.db.models import Conversation, Message, NluReview, utcnow
from checkout.records.redaction import CARD_PLACEHOLDER
from checkout.settings import PROJECT_ROOT, Settings
from checkout.statuses import ReviewState
from checkout.trainer import annotation
from checkout.trainer.annotation import AnnotationRefused, Refusal, annotate, ignore
from checkout.trainer.examples_file import add_example, read_examples
from checkout.trainer.markup import entities_from_spans, parse_markup, to_markup
from checkout.trainer.review_files import ReviewFiles
from cli import annotation_commands
from cli.context import AppContext
from cli.main import shop
from cli.rasa_engine import RASA_BIN, rasa_environment
from tests.integration.orm_builders import add_customer, add_order

# In the repository's own files: an example of greet (data/nlu.yml) and a held-out one (tests/nlu/heldout.yml).
TRAINING_GREETING, HELD_OUT_GREETING = "hi", "evening"


@pytest.fixture
def files(tmp_path) -> ReviewFiles:
    """A copy of the project's Rasa files: writing here leaves the repository's data (and models) alone."""
    root = tmp_path / "project"
    (root / "tests" / "nlu").mkdir(parents=True)
    for name in ("domain.yml", "config.yml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    shutil.copytree(PROJECT_ROOT / "data", root / "data", ignore=shutil.ignore_patterns("nlu_reviewed.yml"))
    for path in (PROJECT_ROOT / "tests" / "nlu").glob("*.yml"):
        if path.name != "heldout_reviewed.yml":
            shutil.copy(path, root / "tests" / "nlu" / path.name)
    return ReviewFiles(root)


@pytest.fixture
def say(clean_db):
    """say(text, ...) -> the id of a message from Marie Dupont (her orders carry `order_name`)."""

    senders = itertools.count()

    def say(text, direction="in", entities=None, name="Marie Dupont", order_name=None):
        with clean_db.transaction() as session:
            customer = add_customer(session, f"web-{next(senders)}", name, channel="web")
            if order_name:
                add_order(session, customer, "A7K2Q9", [], utcnow() - timedelta(hours=1), customer_name=order_name)
            conversation = Conversation(customer_id=customer.id, sender_id=customer.channel_user_id, channel="web")
            session.add(conversation)
            session.flush()
            message = Message(
                conversation_id=conversation.id,
                direction=direction,
                text=text,
                intent="nlu_fallback",
                entities=entities,
            )
            session.add(message)
            session.flush()
            return message.id

    return say


def review_of(db, message_id):
    with db.reading() as session:
        return session.scalar(select(NluReview).where(NluReview.message_id == message_id))


def refusal(db, files, message_id, intent="product_info", **options):
    with pytest.raises(AnnotationRefused) as caught:
        annotate(db, files, message_id, intent, actor="trainer@shop", **options)
    return caught.value


def test_annotating_writes_the_training_file_and_records_the_review(clean_db, files, say):
    message_id = say("do u have the black hoodie in M??")
    spans = [{"start": 14, "end": 19, "entity": "color"}, {"start": 30, "end": 31, "entity": "size", "value": "M"}]
    result = annotate(clean_db, files, message_id, "product_info", entities=spans, actor="trainer@shop")
    example = "do u have the [black](color) hoodie in [M](size)??"
    assert (result.example, result.path, result.added, result.state) == (
        example,
        files.training,
        True,
        ReviewState.TRAINING,
    )
    assert read_examples(files.training) == {"product_info": [example]}
    assert not files.test.exists()
    review = review_of(clean_db, message_id)
    assert (review.state, review.intent, review.example, review.reviewed_by) == (
        "training",
        "product_info",
        example,
        "trainer@shop",
    )


def test_test_examples_go_to_the_held_out_file(clean_db, files, say):
    message_id = say("any chance the tote comes in green")
    result = annotate(clean_db, files, message_id, "product_info", entities=[], test=True, actor="t")
    assert result.path == files.test and result.state == ReviewState.TEST
    assert read_examples(files.test) == {"product_info": ["any chance the tote comes in green"]}
    assert review_of(clean_db, message_id).state == "test"


def test_without_entities_the_model_entities_are_written(clean_db, files, say):
    found = [{"entity": "color", "start": 12, "end": 17, "value": "black", "confidence_entity": 0.9}]
    message_id = say("I'll take a black one", entities=found)
    result = annotate(clean_db, files, message_id, "add_to_cart", actor="t")
    assert result.example == "I'll take a [black](color) one"


def test_the_trainer_edits_personal_data_out_with_markup(clean_db, files, say):
    message_id = say("I'm Marie Dupont, call me on +33 6 12 34 56 78: do you ship to Lyon?")
    refused = refusal(clean_db, files, message_id, "ask_shipping")
    assert (refused.reason, refused.found) == (Refusal.PERSONAL_DATA, ("phone number", "name"))
    assert not files.training.exists()
    result = annotate(clean_db, files, message_id, "ask_shipping", markup="do you ship to Lyon?", actor="t")
    assert result.example == "do you ship to Lyon?"
    assert review_of(clean_db, message_id).example == "do you ship to Lyon?"


@pytest.mark.parametrize(
    ("text", "kind", "order_name"),
    [
        ("text me at 0612345678", "phone number", None),
        ("send it to jeanne@example.com", "email address", None),
        ("4242 4242 4242 4242 is my card", "card number", None),
        (f"my card {CARD_PLACEHOLDER} ok?", "card number", None),
        ("it's for marie, can you wrap it", "name", None),
        ("for Kowalski please", "name", "Jan Kowalski"),  # the name typed at checkout, not the chat name
    ],
)
def test_personal_data_is_refused(clean_db, files, say, text, kind, order_name):
    refused = refusal(clean_db, files, say(text, order_name=order_name))
    assert refused.reason == Refusal.PERSONAL_DATA and refused.found == (kind,)
    assert kind in str(refused)


def test_a_text_of_another_intent_is_a_conflict_naming_file_and_intent(clean_db, files, say):
    refused = refusal(clean_db, files, say(TRAINING_GREETING.upper()), "goodbye")
    assert refused.reason == Refusal.CONFLICT
    assert refused.found == ("data/nlu.yml: greet",)
    assert "data/nlu.yml: greet" in refused.details


def test_the_same_text_under_the_same_intent_adds_nothing_but_is_reviewed(clean_db, files, say):
    message_id = say(f"  {TRAINING_GREETING} ")
    result = annotate(clean_db, files, message_id, "greet", actor="t")
    assert (result.added, result.path) == (False, files.root / "data" / "nlu.yml")
    assert not files.training.exists()
    assert review_of(clean_db, message_id).state == "training"


def test_held_out_texts_stay_out_of_training_and_training_texts_out_of_the_test(clean_db, files, say):
    refused = refusal(clean_db, files, say(HELD_OUT_GREETING), "greet")
    assert refused.reason == Refusal.HELD_OUT and refused.found == ("tests/nlu/heldout.yml",)
    refused = refusal(clean_db, files, say(TRAINING_GREETING), "greet", test=True)
    assert refused.reason == Refusal.HELD_OUT and "data/nlu.yml" in refused.found
    annotate(clean_db, files, say("yo yo shop"), "greet", test=True, actor="t")
    refused = refusal(clean_db, files, say("Yo  yo SHOP"), "greet")
    assert refused.reason == Refusal.ALREADY_REVIEWED  # the same text: one review


def test_a_reviewed_text_is_refused_a_second_time(clean_db, files, say):
    annotate(clean_db, files, say("got any socks"), "browse_catalog", actor="t")
    refused = refusal(clean_db, files, say("Got any  SOCKS"), "browse_catalog")
    assert refused.reason == Refusal.ALREADY_REVIEWED


@pytest.mark.parametrize(
    ("text", "direction", "reason"),
    [
        ("Yes: Heavyweight Hoodie, €59.00", "out", Refusal.NOT_SHOPPER_MESSAGE),
        ('/choose_payment_method{"payment_method": "manual"}', "in", Refusal.NOT_SHOPPER_MESSAGE),
    ],
)
def test_only_text_shoppers_typed_is_annotated(clean_db, files, say, text, direction, reason):
    assert refusal(clean_db, files, say(text, direction=direction)).reason == reason


def test_unknown_message_and_unknown_intent_are_refused(clean_db, files, say):
    assert refusal(clean_db, files, 999_999).reason == Refusal.UNKNOWN_MESSAGE
    message_id = say("what's this")
    assert refusal(clean_db, files, message_id, "buy_now").reason == Refusal.UNKNOWN_INTENT
    assert refusal(clean_db, files, message_id, "nlu_fallback").reason == Refusal.UNKNOWN_INTENT


@pytest.mark.parametrize(
    "spans",
    [
        [{"start": 0, "end": 40, "entity": "product"}],
        [{"start": 9, "end": 14, "entity": "colour"}],
        [{"start": 9, "end": 20, "entity": "product"}, {"start": 15, "end": 20, "entity": "product"}],
        [{"start": 8, "end": 14, "entity": "color"}],
    ],
)
def test_bad_entities_are_refused(clean_db, files, say, spans):
    message_id = say("add the black hoodie")
    refused = refusal(clean_db, files, message_id, "add_to_cart", entities=spans)
    assert refused.reason == Refusal.BAD_ENTITIES
    assert review_of(clean_db, message_id) is None and not files.training.exists()


def test_ignore_takes_a_text_out_of_the_inbox(clean_db, files, say):
    message_id = say("lol")
    with clean_db.transaction() as session:
        session.add(NluReview(text_key=annotation.text_key("LOL"), state=ReviewState.FLAGGED, flagged_by="seller@shop"))
    ignore(clean_db, message_id, actor="trainer@shop")
    review = review_of(clean_db, message_id)
    assert (review.state, review.flagged_by, review.reviewed_by) == ("ignored", "seller@shop", "trainer@shop")
    annotate(clean_db, files, message_id, "out_of_scope", actor="t")  # an ignored text can still be annotated
    with pytest.raises(AnnotationRefused) as caught:
        ignore(clean_db, message_id, actor="t")
    assert caught.value.reason == Refusal.ALREADY_REVIEWED
    with pytest.raises(AnnotationRefused):
        ignore(clean_db, 999_999, actor="t")


@pytest.fixture
def run(clean_db, files, tmp_path, monkeypatch):
    """`shop ...` on the test database, annotating the copied project."""
    monkeypatch.setattr(annotation_commands, "ReviewFiles", functools.partial(ReviewFiles, files.root))
    app = AppContext(Settings(database_url=clean_db.url, rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}"))
    yield lambda *args: CliRunner().invoke(shop, list(args), obj=app)
    if "db" in app.__dict__:
        app.db.dispose()


def test_cli_annotate_and_ignore(run, files, say):
    spans = '[{"start": 16, "end": 23, "entity": "color", "value": "black"}]'
    result = run(
        "nlu", "annotate", str(say("is the cap also schwarz")), "--intent", "product_info", "--entities", spans
    )
    assert result.exit_code == 0, result.output
    assert 'added to data/nlu_reviewed.yml as product_info: is the cap also [schwarz]{"entity"' in result.output
    result = run("nlu", "annotate", str(say("bye")), "--intent", "goodbye", "--test")
    assert result.exit_code == 1
    assert "refused (held_out)" in result.output and "data/nlu.yml" in result.output
    result = run("nlu", "annotate", str(say("ok then")), "--intent", "affirm", "--entities", "{not json")
    assert result.exit_code == 1 and "--entities is not JSON" in result.output
    message_id = say("asdfgh")
    result = run("nlu", "ignore", str(message_id))
    assert (result.exit_code, result.output) == (0, f"message {message_id} ignored\n")
    assert run("nlu", "ignore", "999999").exit_code == 1


# Rasa's own reader on the written file: (intent, text, [[start, end, entity, value]]) of every example.
READ_WITH_RASA = """
import json, sys
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
examples = RasaYAMLReader().read(sys.argv[1]).intent_examples
print(json.dumps(sorted(
    [m.get("intent"), m.get("text"), [[e["start"], e["end"], e["entity"], e["value"]] for e in m.get("entities", [])]]
    for m in examples
)))
"""


def test_rasa_data_validate_passes_on_a_written_file(files):
    """Rasa itself reads the file the annotations wrote, tricky characters included, with the project's data."""
    written = []
    for intent, text, pieces in [
        ("product_info", 'is the "Classic" tee #1 in [S] sizes: yes?', [("tee", "product", "tee")]),
        ("add_to_cart", "- two 👕 black tees, size M  please", [("two", "quantity", "2"), ("M", "size", "medium")]),
        ("inform", "{size: XL} & colour* 'grey'", [("XL", "size", "XL"), ("grey", "color", "grey")]),
    ]:
        spans = [{"start": text.index(p), "end": text.index(p) + len(p), "entity": n, "value": v} for p, n, v in pieces]
        example = to_markup(text, entities_from_spans(text, spans), files.entities())
        assert add_example(files.training, intent, example)
        plain, entities = parse_markup(example)
        written.append([intent, plain, [[e.start, e.end, e.entity, e.value] for e in entities]])
    result = subprocess.run(
        [str(RASA_BIN), "data", "validate", "--domain", "domain.yml", "--data", "data", "--config", "config.yml"],
        cwd=files.root,
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    # Warnings do not fail the validation: none may name the file or one of its texts (a conflict would).
    assert "nlu_reviewed.yml" not in output
    assert not [plain for _, plain, _ in written if plain in output]
    read = subprocess.run(
        [str(RASA_BIN.parent / "python"), "-c", READ_WITH_RASA, str(files.training)],
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert json.loads(read.stdout.splitlines()[-1]) == sorted(written)
