"""`shop nlu compare`: the live model against the newest candidate on the held-out files, and the gate's verdict.

The verdict is data, not an error: the command exits 0 whether the candidate passed or not, 1 when it could not
compare (no model, a file gone, Rasa did not start)."""

from __future__ import annotations

import json

import click

from checkout.assistant_client import AssistantUnavailable
from checkout.trainer.model_files import ModelFileError
from checkout.trainer.registry import ModelNotFound
from cli.context import AppContext, pass_app
from cli.model_compare import compare_models


@click.command("compare")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--live", "live_id", metavar="MODEL_ID", help="Compare against this model instead of the live one.")
@click.option("--candidate", "candidate_id", metavar="MODEL_ID", help="This model instead of the newest candidate.")
@pass_app
def nlu_compare(app: AppContext, output: str, live_id: str | None, candidate_id: str | None):
    """Intent macro-F1, entity F1 and per-intent F1 of the live model and a candidate on tests/nlu/heldout.yml
    (and tests/nlu/heldout_reviewed.yml), new confusions, and whether the candidate passes the gate."""
    try:
        result = compare_models(app, live_id, candidate_id, echo=lambda line: click.echo(line, err=True))
    except (ModelNotFound, ModelFileError, AssistantUnavailable, RuntimeError, TimeoutError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(result, indent=1, ensure_ascii=False))
        return
    for line in report_lines(result):
        click.echo(line)


def report_lines(result: dict) -> list[str]:
    live, candidate = result["live"], result["candidate"]
    lines = [
        f"{result['examples']} held-out messages ({', '.join(result['heldout'])})",
        f"{'':<28} {'live':>10} {'candidate':>10} {'change':>8}",
        f"{'model':<28} {live['model_id'][:10]:>10} {candidate['model_id'][:10]:>10}",
        _row("intent macro-F1", live["intent_f1"], candidate["intent_f1"]),
        _row("entity F1", live["entity_f1"], candidate["entity_f1"]),
        "per intent (test examples):",
    ]
    for name, figures in result["intents"].items():
        lines.append(_row(f"  {name} ({figures['support']})", figures["live"], figures["candidate"]))
    for confusion in result["new_confusions"]:
        lines.append(
            f"new confusion: {confusion['expected']} read as {confusion['predicted']} "
            f"({confusion['live']} -> {confusion['candidate']}): " + "; ".join(confusion["texts"])
        )
    gate = result["gate"]
    lines.append("gate: passed" if gate["passed"] else "gate: refused")
    lines += [f"  {reason}" for reason in gate["reasons"]]
    return lines


def _row(name: str, before: float | None, after: float | None) -> str:
    shown = [f"{v:.3f}" if v is not None else "-" for v in (before, after)]
    change = f"{after - before:+.3f}" if before is not None and after is not None else ""
    return f"{name:<28} {shown[0]:>10} {shown[1]:>10} {change:>8}"
