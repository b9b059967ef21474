"""packages/lean_rasa_turns against Rasa's own code, in Rasa's environment (tests/lean_turns_driver.py run by
.venv-rasa's Python): the same rows and trackers as Rasa's SQL tracker store, on SQLite and on PostgreSQL when
TEST_DATABASE_URL is set, and action replies judged as Rasa judges them."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from cli.rasa_engine import sql_store_config

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
DRIVER = ROOT / "tests" / "lean_turns_driver.py"


def drive(*args: str) -> dict:
    done = subprocess.run(
        [str(RASA_PYTHON), str(DRIVER), *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_lean_tracker_store_writes_and_reads_what_rasas_own_does(database_url):
    config = sql_store_config(database_url)
    del config["type"]
    if "url" in config:
        config["host"] = config.pop("url")  # as Rasa passes the endpoint's url to a tracker store
    result = drive("stores", json.dumps(config))
    assert result["lean"] == result["rasa"]
    rasa = result["rasa"]
    assert rasa["keys"] == ["s1", "s2"] and rasa["nobody"] is None
    # Rasa's own rows, quirks included: a second session's saves append the earlier session's events again (the
    # records consumer keys events, so they are recorded once).
    assert {row[2] for row in rasa["rows"]} == {"action", "session_started", "user", "bot", "slot"}  # type_name
    assert len(rasa["full"]["events"]) > len(rasa["latest"]["events"])
    assert rasa["latest"]["slots"]["customer_name"] == "Ana"


def test_a_turn_is_confirmed_by_rabbitmq_before_it_is_saved(tmp_path):
    """A server killed between saving a turn and publishing it would leave the records without that turn for good
    (the client finds it saved and does not send it again): ours publishes first, Rasa's own store after."""
    config = {"dialect": "sqlite", "db": str(tmp_path / "rasa.db")}
    result = drive("publish", json.dumps(config), f"lean_turns_{uuid.uuid4().hex[:8]}")
    assert result["lean"] == {"unsent_at_commit": [0], "queued": 3}  # action_listen, user, bot
    assert result["rasa"]["unsent_at_commit"][0] > 0


def test_action_replies_are_judged_as_rasa_judges_them_with_one_validator():
    result = drive("replies")
    assert result["lean"] == result["rasa"]
    assert result["rasa"][0] is True
    assert "Failed to validate Action server response" in result["rasa"][1]["error"]
    assert result["validators_built"] == 1  # for 100 replies
