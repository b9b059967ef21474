"""The trainer's measurements as tests: conversation stories, and the understanding figures on the demo and
on shops the model never saw (held-out messages and scripted conversations, unseen and learned)."""
from __future__ import annotations

import subprocess

import pytest

from checkout.settings import PROJECT_ROOT, load_settings
from cli.context import AppContext
from cli.nlu_commands import FLOORS, missed_bars, run_evaluation
from cli.rasa_engine import RASA_BIN, rasa_environment

pytestmark = pytest.mark.e2e


def test_conversation_stories_are_predicted_without_error(model, tmp_path):
    result = subprocess.run(
        [str(RASA_BIN), "test", "core", "--stories", str(PROJECT_ROOT / "tests" / "conversations"), "--model", str(model),
         "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot"],
        env=rasa_environment(), cwd=PROJECT_ROOT, capture_output=True, text=True)
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:])


@pytest.mark.timeout(2700)  # five held-out parses and 310 scripted conversations: 12-15 minutes on 2 cores
def test_understanding_figures_stay_at_or_above_their_floors(model):
    """Every figure of `shop nlu evaluate` at least what this version measured (FLOORS): a change that makes
    the assistant understand less fails here. The issue's bars (BARS) are reported, and enforced by
    `shop nlu evaluate --check`, but not all are met yet (README, Measurements)."""
    results = run_evaluation(AppContext(load_settings(environ={})), ("unseen", "learned"), (), echo=print)
    assert {(r.catalog, r.condition) for r in results} >= {(c, k) for c, k, _, _ in FLOORS}
    below = [f"{catalog} {condition}: {figure} {value:.3f} < {floor}"
             for catalog, condition, figure, floor in FLOORS
             for r in results if (r.catalog, r.condition) == (catalog, condition)
             for value in [getattr(r, figure)] if value is not None and value < floor]
    print("bars not met yet:", missed_bars(results))
    assert not below, below
