"""Rasa's secrets stay off the command line and out of other users' reach: the API token goes by environment to our
launcher, which hands it to Rasa in-process; the endpoints file (database and broker passwords) is the user's only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from checkout.settings import PROJECT_ROOT, Settings
from cli.rasa_engine import RASA_SERVER, rasa_environment, rasa_run_command, write_endpoints
from cli.rasa_launcher import rasa_argv
from cli.run_command import process_specs

TOKEN = "s3cret-rasa-token"


def test_the_token_is_on_no_command_line_but_in_the_rasa_servers_environment(tmp_path):
    settings = Settings(rasa_api_token=TOKEN, rasa_instances=2, shop_var_dir=str(tmp_path))
    specs = [s for s in process_specs(settings, tmp_path / "m.tar.gz", tmp_path / "e.yml") if s.name.startswith("rasa")]
    assert [s.name for s in specs] == ["rasa-1", "rasa-2"]
    for spec in specs:
        assert spec.command[: len(RASA_SERVER)] == RASA_SERVER
        assert not any(TOKEN in part for part in spec.command)
        assert spec.env["RASA_API_TOKEN"] == TOKEN


def test_the_launcher_adds_the_token_to_rasas_own_arguments():
    assert rasa_argv(["run", "--port", "5006"], {"RASA_API_TOKEN": TOKEN}) == [
        "rasa",
        "run",
        "--port",
        "5006",
        "--auth-token",
        TOKEN,
    ]
    with pytest.raises(SystemExit, match="RASA_API_TOKEN is not set"):
        rasa_argv(["run"], {"RASA_API_TOKEN": " "})


def test_the_launcher_refuses_to_start_rasa_without_a_token():
    """With the interpreter `shop run` uses for it (no Rasa import happens before the check)."""
    python = RASA_SERVER[0] if os.path.exists(RASA_SERVER[0]) else sys.executable
    env = {k: v for k, v in rasa_environment().items() if k != "RASA_API_TOKEN"}
    done = subprocess.run(
        [python, *RASA_SERVER[1:], "run"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "RASA_API_TOKEN is not set" in done.stderr


def test_the_endpoints_file_is_readable_by_its_user_only(tmp_path):
    path = tmp_path / "endpoints.yml"
    path.write_text("old")
    path.chmod(0o644)  # as an older version left it
    settings = Settings(rasa_tracker_url="postgresql://shop:pw@127.0.0.1:5432/shop")
    for _ in range(2):
        write_endpoints(settings, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "pw" in path.read_text()


def test_rasa_run_command_keeps_its_arguments(tmp_path):
    command = rasa_run_command(Settings(rasa_api_token=TOKEN), tmp_path / "m.tar.gz", tmp_path / "e.yml", 5007)
    for option in ("--model", "--endpoints", "--credentials", "--enable-api", "--interface", "--port", "--cors"):
        assert option in command
    assert command[command.index("--port") + 1] == "5007"
