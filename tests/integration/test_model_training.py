"""Train a candidate, compare it, follow it from `shop train`, cancel it; and the model `shop run` starts with.

No Rasa here: `rasa train` is a small script printing what Rasa prints, and the comparison's parses come from
the held-out annotations (a candidate made worse on purpose reads some of them wrong)."""

from __future__ import annotations

import json
import sys
import threading
import time

import pytest
from click.testing import CliRunner

import cli.model_compare
import cli.model_training
from checkout.learning import learner_running, learning_status, take_model_training_request
from checkout.settings import Settings
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.registry import find_model, live_model, newest_candidate, register_model
from cli.context import AppContext
from cli.learning_commands import heartbeat
from cli.main import shop
from cli.model_compare import load_heldout, score
from cli.model_training import train_and_compare
from cli.run_command import model_to_serve
from tests.model_archives import write_model_archive

TRAINING = """
import sys, time
print("INFO rasa.engine.training.hooks - Starting to train component 'DIETClassifier'.", flush=True)
for epoch in range(1, 11):
    print(f"Epochs: {epoch * 10}%|xx| {epoch}/10 [00:01<00:01]", end="\\r", flush=True)
    time.sleep(float(sys.argv[1]))
print("ValueError: the training data is broken" if sys.argv[2] == "fail" else "done", flush=True)
sys.exit(1 if sys.argv[2] == "fail" else 0)
"""


@pytest.fixture
def app(clean_db, tmp_path) -> AppContext:
    settings = Settings(
        database_url=clean_db.url.replace("postgresql+psycopg://", "postgresql://"),
        shop_catalog_terms_file=str(tmp_path / "var" / "catalog_terms.json"),
        model_cache_dir=str(tmp_path / "cache"),
    )
    context = AppContext(settings)
    context.__dict__["db"] = clean_db  # the test's database object
    register_model(
        clean_db, write_model_archive(tmp_path / "aaaa.tar.gz", "live-model"), ModelOrigin.START, ModelState.LIVE
    )
    return context


@pytest.fixture
def parses_by_model(monkeypatch):
    """The comparison's Rasa replaced: the live model reads every held-out message as annotated, a model whose
    file starts with "bad" reads a quarter of add_to_cart as browse_catalog; records which models were scored."""
    scored: list[str] = []

    def evaluate(app, models, heldout, echo):
        results = []
        for path in models:
            scored.append(path.name)
            parses = [{"intent": e.intent, "entities": _entities(e)} for e in heldout.examples]
            if path.name.startswith("bad"):
                carts = [p for p, e in zip(parses, heldout.examples, strict=True) if e.intent == "add_to_cart"]
                for parse in carts[::4]:
                    parse["intent"] = "browse_catalog"
            results.append(score(heldout, parses))
        return results

    monkeypatch.setattr(cli.model_compare, "evaluate", evaluate)
    return scored


def _entities(example):
    return [{"entity": name, "start": start, "end": end} for name, start, end, _ in example.entities]


def fake_training(monkeypatch, tmp_path, name: str, model_id: str, seconds: float = 0.01, outcome: str = "ok"):
    """`rasa train` as a script (through the trainer's own runner), writing a model archive when it succeeds."""

    def ensure_model(cache_dir, echo, root, low_priority, run):
        if run([sys.executable, "-c", TRAINING, str(seconds), outcome], {}, tmp_path) != 0:
            raise cli.model_training.TrainingFailed("rasa train exited with 1")
        return write_model_archive(tmp_path / "models" / f"{name}.tar.gz", model_id)

    monkeypatch.setattr(cli.model_training, "ensure_model", ensure_model)


def test_compare_records_the_scores_and_the_gate_and_says_so_in_json(app, parses_by_model, tmp_path):
    register_model(app.db, write_model_archive(tmp_path / "bad1.tar.gz", "worse-model"), "review", "candidate")
    result = CliRunner().invoke(shop, ["nlu", "compare", "--format", "json"], obj=app)
    assert result.exit_code == 0, result.output  # a refusing gate is a result, not an error
    report = json.loads(result.stdout)
    assert report["live"]["model_id"] == "live-model" and report["live"]["intent_f1"] == 1.0
    assert report["candidate"]["model_id"] == "worse-model" and report["candidate"]["intent_f1"] < 0.99
    cart = report["intents"]["add_to_cart"]
    assert cart["live"] == 1.0 and cart["candidate"] < 0.95 and cart["support"] >= 8
    [confusion] = report["new_confusions"]
    assert (confusion["expected"], confusion["predicted"], confusion["live"]) == ("add_to_cart", "browse_catalog", 0)
    assert confusion["texts"]
    assert report["gate"]["passed"] is False and report["gate"]["reasons"]
    assert report["heldout"][0] == "tests/nlu/heldout.yml"
    with app.db.reading() as session:
        candidate, live = find_model(session, "worse-model"), find_model(session, "live-model")
        assert candidate.gate["against"] == "live-model" and candidate.gate["passed"] is False
        assert candidate.scores["heldout"] == load_heldout().digest and live.scores["intent_f1"] == 1.0

    register_model(app.db, write_model_archive(tmp_path / "good.tar.gz", "better-model"), "review", "candidate")
    text = CliRunner().invoke(shop, ["nlu", "compare"], obj=app)
    assert text.exit_code == 0 and "gate: passed" in text.output, text.output
    assert parses_by_model == ["aaaa.tar.gz", "bad1.tar.gz", "good.tar.gz"]  # the live model was scored once


def test_compare_without_a_candidate_is_an_error(app):
    result = CliRunner().invoke(shop, ["nlu", "compare", "--format", "json"], obj=app)
    assert result.exit_code == 1 and "no candidate model" in result.output


def test_the_trainer_trains_a_candidate_compares_it_and_leaves_it_unloaded(app, parses_by_model, monkeypatch, tmp_path):
    fake_training(monkeypatch, tmp_path, "bbbb", "new-candidate")
    assert train_and_compare(app, tmp_path, "r1", echo=lambda line: None)
    status = learning_status(app.settings)
    assert (status.state, status.request) == ("trained", "r1")
    assert status.detail == "candidate new-candidate, gate passed"
    with app.db.reading() as session:
        assert newest_candidate(session).model_id == "new-candidate"
        assert live_model(session).model_id == "live-model"
        assert find_model(session, "new-candidate").gate["passed"] is True


def test_a_failed_training_says_what_rasa_said(app, monkeypatch, tmp_path):
    fake_training(monkeypatch, tmp_path, "bbbb", "never", outcome="fail")
    assert not train_and_compare(app, tmp_path, "r1", echo=lambda line: None)
    status = learning_status(app.settings)
    assert status.state == "failed" and "the training data is broken" in status.detail
    assert (status.stage, status.epoch, status.epochs) == ("DIETClassifier", 10, 10)


@pytest.fixture
def learner(app, tmp_path):
    """The shop's trainer as `shop learn` runs it: its heartbeat, and `shop train`'s requests answered."""
    stop = threading.Event()

    def serve():
        with heartbeat(app.settings):
            while not stop.is_set():
                request = take_model_training_request(app.settings)
                if request is not None:
                    train_and_compare(app, tmp_path, request, echo=lambda line: None)
                stop.wait(0.1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not learner_running(app.settings) and time.monotonic() < deadline:
        time.sleep(0.05)
    yield
    stop.set()
    thread.join(10)


def test_shop_train_hands_the_training_to_the_running_shop_and_follows_it(
    app, learner, parses_by_model, monkeypatch, tmp_path
):
    fake_training(monkeypatch, tmp_path, "bad2", "worse-candidate", seconds=0.2)
    result = CliRunner().invoke(shop, ["train"], obj=app)
    assert result.exit_code == 0, result.output
    assert "training: DIETClassifier" in result.output and "epoch 10/10" in result.output
    assert "candidate worse-candidate, gate refused" in result.output


def test_shop_train_cancel_stops_the_training_and_shop_train_fails(app, learner, monkeypatch, tmp_path):
    fake_training(monkeypatch, tmp_path, "bbbb", "never", seconds=3)
    threading.Timer(2.0, lambda: CliRunner().invoke(shop, ["train", "--cancel"], obj=app)).start()
    started = time.monotonic()
    result = CliRunner().invoke(shop, ["train"], obj=app)
    assert result.exit_code == 1 and "the training failed: cancelled" in result.output, result.output
    assert time.monotonic() - started < 20
    with app.db.reading() as session:
        assert newest_candidate(session) is None


def test_shop_run_starts_with_the_live_model_while_its_file_exists(app, tmp_path):
    default = tmp_path / "default.tar.gz"
    with app.db.reading() as session:
        live = live_model(session)
    assert model_to_serve(app, default, echo=lambda line: None) == tmp_path / "aaaa.tar.gz"
    (tmp_path / "aaaa.tar.gz").unlink()
    assert live.model_id == "live-model"
    assert model_to_serve(app, default, echo=lambda line: None) == default  # and the catalog is learned
    assert learning_status(app.settings).state == "waiting"
