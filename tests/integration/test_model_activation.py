"""Activating a model and rolling back (checkout.trainer.activation, `shop model`), against Rasa servers faked on
loopback that take `PUT /model` as Rasa does (behind its API token)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from checkout.audit import audit_history
from checkout.settings import Settings
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.activation import GateRefused, ServerFailed, activate_model
from checkout.trainer.registry import ModelNotFound, find_model, live_model, record_scores, register_model
from cli.context import AppContext
from cli.main import shop
from tests.model_archives import write_model_archive

TOKEN = "rasa-token"


class FakeRasaModels:
    """Rasa's `PUT /model` and `GET /status`: records each model file loaded; `failing` answers 500."""

    def __init__(self):
        self.loaded: list[str] = []
        self.failing = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = urlsplit(self.path)
                if url.path != "/model" or parse_qs(url.query).get("token") != [TOKEN]:
                    return self._answer(401, {"error": "not authorized"})
                if fake.failing:
                    return self._answer(500, {"error": "could not load"})
                fake.loaded.append(body["model_file"])
                self._answer(204, None)

            def _answer(self, status: int, payload) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers():
    fakes = [FakeRasaModels(), FakeRasaModels()]
    yield fakes
    for fake in fakes:
        fake.close()


@pytest.fixture
def shop_settings(clean_db, servers, tmp_path) -> Settings:
    return Settings(
        database_url=clean_db.url.replace("postgresql+psycopg://", "postgresql://"),
        rasa_urls=",".join(s.url for s in servers),
        rasa_api_token=TOKEN,
        model_cache_dir=str(tmp_path / "cache"),
    )


@pytest.fixture
def models(clean_db, tmp_path):
    """A live model (what `shop run` started with) and a candidate trained since."""
    live = write_model_archive(tmp_path / "models" / "aaaa.tar.gz", "live-model", "2026-12-01T10:00:00")
    candidate = write_model_archive(tmp_path / "models" / "bbbb.tar.gz", "candidate-1", "2026-12-01T11:00:00")
    register_model(clean_db, live, ModelOrigin.START, ModelState.LIVE)
    register_model(clean_db, candidate, ModelOrigin.REVIEW, ModelState.CANDIDATE)
    return {"live": live, "candidate": candidate}


def gate(passed: bool, against: str = "live-model") -> dict:
    return {"passed": passed, "reasons": [] if passed else ["intent macro-F1 0.950 is 0.030 below"], "against": against}


def live_id(db) -> str:
    with db.reading() as session:
        return live_model(session).model_id


def test_a_candidate_past_the_gate_goes_live_in_every_server(clean_db, shop_settings, servers, models):
    record_scores(clean_db, "candidate-1", {"intent_f1": 0.98}, gate(True))
    done = activate_model(clean_db, shop_settings, actor="seller:ann@example.com")  # the newest candidate
    assert (done.model_id, done.previous_model_id, done.changed) == ("candidate-1", "live-model", True)
    assert [s.loaded for s in servers] == [[str(models["candidate"])]] * 2
    with clean_db.reading() as session:
        row, old = find_model(session, "candidate-1"), find_model(session, "live-model")
        assert (row.state, row.activated_by, row.override_reason) == ("live", "seller:ann@example.com", None)
        assert (old.state, old.live_until) == ("retired", row.live_since)
        [entry] = audit_history(session, "nlu_model", "candidate-1")
        assert (entry.action, entry.actor) == ("model.activated", "seller:ann@example.com")
        assert entry.details["previous"] == "live-model" and entry.details["gate_passed"] is True
    again = activate_model(clean_db, shop_settings, "candidate-1", actor="cli")
    assert not again.changed and [len(s.loaded) for s in servers] == [1, 1]


@pytest.mark.parametrize(
    "recorded, reason",
    [
        (None, "not compared with the live model yet"),
        (gate(False), "intent macro-F1 0.950 is 0.030 below"),
        (gate(True, against="an-older-live-model"), "but live-model is live now"),
    ],
)
def test_without_a_passed_gate_nothing_changes(clean_db, shop_settings, servers, models, recorded, reason):
    if recorded is not None:
        record_scores(clean_db, "candidate-1", {"intent_f1": 0.95}, recorded)
    with pytest.raises(GateRefused) as refused:
        activate_model(clean_db, shop_settings, "candidate-1", actor="cli")
    assert reason in refused.value.reasons[0]
    assert live_id(clean_db) == "live-model"
    assert [s.loaded for s in servers] == [[], []]


def test_an_override_needs_a_reason_and_keeps_it(clean_db, shop_settings, servers, models):
    record_scores(clean_db, "candidate-1", {"intent_f1": 0.95}, gate(False))
    with pytest.raises(GateRefused):
        activate_model(clean_db, shop_settings, actor="cli", override_reason="   ")
    activate_model(clean_db, shop_settings, actor="cli", override_reason="the held-out file is wrong for greet")
    with clean_db.reading() as session:
        row = find_model(session, "candidate-1")
        assert (row.state, row.override_reason) == ("live", "the held-out file is wrong for greet")
        [entry] = audit_history(session, "nlu_model", "candidate-1")
        assert entry.details["override_reason"] == "the held-out file is wrong for greet"
        assert entry.details["gate_passed"] is False


def test_roll_back_activates_the_model_live_before_without_a_gate(clean_db, shop_settings, servers, models):
    record_scores(clean_db, "candidate-1", {"intent_f1": 0.98}, gate(True))
    activate_model(clean_db, shop_settings, actor="cli")
    done = activate_model(clean_db, shop_settings, previous=True, actor="cli")
    assert (done.model_id, done.previous_model_id) == ("live-model", "candidate-1")
    assert [s.loaded[-1] for s in servers] == [str(models["live"])] * 2
    with clean_db.reading() as session:
        assert live_model(session).model_id == "live-model"
        assert find_model(session, "candidate-1").state == "retired"
        [entry] = audit_history(session, "nlu_model", "live-model")
        assert entry.action == "model.rolled_back" and entry.details["previous"] == "candidate-1"


def test_nothing_to_roll_back_to_or_activate(clean_db, shop_settings, models):
    with pytest.raises(ModelNotFound, match="nothing to roll back to"):
        activate_model(clean_db, shop_settings, previous=True, actor="cli")
    with pytest.raises(ModelNotFound, match="no model nosuchmodel"):
        activate_model(clean_db, shop_settings, "nosuchmodel", actor="cli", override_reason="x")


def test_a_server_that_fails_leaves_the_registry_and_the_other_servers_as_they_were(
    clean_db, shop_settings, servers, models
):
    record_scores(clean_db, "candidate-1", {"intent_f1": 0.98}, gate(True))
    servers[1].failing = True
    with pytest.raises(ServerFailed) as failed:
        activate_model(clean_db, shop_settings, actor="cli")
    assert failed.value.url == servers[1].url and servers[1].url in str(failed.value)
    assert failed.value.not_restored == []
    # the first server took the candidate, then the live model back
    assert servers[0].loaded == [str(models["candidate"]), str(models["live"])]
    assert live_id(clean_db) == "live-model"
    with clean_db.reading() as session:
        assert audit_history(session, "nlu_model", "candidate-1") == []


def test_the_cli_says_why_the_gate_refused_and_activates_with_an_override(clean_db, shop_settings, servers, models):
    record_scores(clean_db, "candidate-1", {"intent_f1": 0.95, "entity_f1": 0.9}, gate(False))
    app = AppContext(shop_settings)
    refused = CliRunner().invoke(shop, ["model", "activate"], obj=app)
    assert refused.exit_code == 1
    assert "intent macro-F1 0.950 is 0.030 below" in refused.output
    done = CliRunner().invoke(shop, ["model", "activate", "candid", "--override", "seen by hand"], obj=app)
    assert done.exit_code == 0, done.output
    assert "model candidate-1 is live" in done.output
    listed = CliRunner().invoke(shop, ["model", "list", "--format", "json"], obj=app)
    rows = {row["model_id"]: row for row in json.loads(listed.output)}
    assert rows["candidate-1"]["state"] == "live" and rows["candidate-1"]["gate"]["passed"] is False
    assert rows["candidate-1"]["override_reason"] == "seen by hand"
    assert rows["live-model"]["live_until"] is not None
    text = CliRunner().invoke(shop, ["model", "list"], obj=app).output
    assert "candidate-1" in text and "refused (override: seen by hand)" in text
    back = CliRunner().invoke(shop, ["model", "activate", "--previous"], obj=app)
    assert back.exit_code == 0 and "model live-model is live" in back.output


def test_the_cli_names_the_server_that_failed(clean_db, shop_settings, servers, models):
    servers[0].failing = True
    result = CliRunner().invoke(shop, ["model", "activate", "--override", "test"], obj=AppContext(shop_settings))
    assert result.exit_code == 1 and servers[0].url in result.output
