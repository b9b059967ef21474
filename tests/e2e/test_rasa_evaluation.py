"""The trainer's measurements as tests: conversation stories and the NLU bars on the held-out file."""
from __future__ import annotations

import subprocess

import pytest

from checkout.settings import PROJECT_ROOT
from cli.nlu_commands import ENTITY_F1_BAR, INTENT_F1_BAR, evaluate_nlu
from cli.rasa_engine import RASA_BIN, rasa_environment

pytestmark = pytest.mark.e2e


def test_conversation_stories_are_predicted_without_error(model, tmp_path):
    result = subprocess.run(
        [str(RASA_BIN), "test", "core", "--stories", str(PROJECT_ROOT / "tests" / "conversations"), "--model", str(model),
         "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot"],
        env=rasa_environment(), cwd=PROJECT_ROOT, capture_output=True, text=True)
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:])


def test_nlu_meets_the_bars_on_the_held_out_file(model, tmp_path):
    scores = evaluate_nlu(model, out=tmp_path)
    assert scores.intent_macro_f1 >= INTENT_F1_BAR, scores.per_intent
    assert scores.entity_f1 >= ENTITY_F1_BAR, scores.per_entity
