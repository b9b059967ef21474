"""`shop nlu evaluate`: how well the model understands messages it never saw in training."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from checkout.settings import PROJECT_ROOT
from cli.context import AppContext, pass_app
from cli.rasa_engine import RASA_BIN, rasa_environment
from cli.training import TrainingFailed, ensure_model

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
RESULTS = PROJECT_ROOT / "results" / "nlu"
# The bars: intent macro-F1 and entity (micro-averaged, per token span) F1.
INTENT_F1_BAR = 0.92
ENTITY_F1_BAR = 0.85


@dataclass
class NluScores:
    intent_macro_f1: float
    entity_f1: float
    per_intent: dict[str, float]
    per_entity: dict[str, float]

    @property
    def meets_bars(self) -> bool:
        return self.intent_macro_f1 >= INTENT_F1_BAR and self.entity_f1 >= ENTITY_F1_BAR


def evaluate_nlu(model: Path, data: Path = HELDOUT, out: Path = RESULTS) -> NluScores:
    out.mkdir(parents=True, exist_ok=True)
    command = [str(RASA_BIN), "test", "nlu", "--nlu", str(data), "--model", str(model), "--out", str(out), "--no-plot"]
    result = subprocess.run(command, env=rasa_environment(), cwd=PROJECT_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"rasa test nlu failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    intents = json.loads((out / "intent_report.json").read_text())
    entities = json.loads((out / "DIETClassifier_report.json").read_text())
    averages = ("micro avg", "macro avg", "weighted avg", "accuracy")
    return NluScores(
        intent_macro_f1=intents["macro avg"]["f1-score"],
        entity_f1=entities["micro avg"]["f1-score"],
        per_intent={k: v["f1-score"] for k, v in intents.items() if k not in averages and isinstance(v, dict)},
        per_entity={k: v["f1-score"] for k, v in entities.items() if k not in averages and isinstance(v, dict)},
    )


@click.group()
def nlu():
    """Measure what the assistant understands."""


@nlu.command("evaluate")
@click.option("--data", type=click.Path(exists=True, path_type=Path), default=HELDOUT, show_default=True,
              help="Held-out examples, never used in training.")
@click.option("--check", is_flag=True, help="Exit 1 when a score is below its bar.")
@pass_app
def nlu_evaluate(app: AppContext, data: Path, check: bool):
    """Intent macro-F1 and entity F1 on the held-out file (reports in results/nlu/)."""
    try:
        model = ensure_model(app.settings.model_cache_path, echo=click.echo)
        scores = evaluate_nlu(model, data)
    except (TrainingFailed, RuntimeError) as exc:
        raise click.ClickException(str(exc))
    for name, f1 in sorted(scores.per_intent.items(), key=lambda kv: kv[1]):
        click.echo(f"  intent {name:<22} F1 {f1:.3f}")
    for name, f1 in sorted(scores.per_entity.items(), key=lambda kv: kv[1]):
        click.echo(f"  entity {name:<22} F1 {f1:.3f}")
    click.echo(f"intent macro-F1 {scores.intent_macro_f1:.3f} (bar {INTENT_F1_BAR}), "
               f"entity F1 {scores.entity_f1:.3f} (bar {ENTITY_F1_BAR})")
    if check and not scores.meets_bars:
        sys.exit(1)
