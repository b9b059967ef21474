"""`shop model list` and `shop model activate`: the models the shop knows, and which one the assistant uses."""

from __future__ import annotations

import json
import sys

import click

from checkout.db.migrate import upgrade
from checkout.db.models import NluModel
from checkout.trainer.activation import GateRefused, ServerFailed, activate_model
from checkout.trainer.registry import ModelNotFound, list_models
from cli.context import AppContext, pass_app


@click.group()
def model():
    """The trained models: candidates, the live one, those that were live."""


def model_row(row: NluModel) -> dict:
    scores, gate = row.scores or {}, row.gate or {}
    return {
        "model_id": row.model_id,
        "state": row.state,
        "origin": row.origin,
        "fingerprint": row.fingerprint,
        "trained_at": row.trained_at.isoformat(timespec="seconds"),
        "live_since": row.live_since.isoformat(timespec="seconds") if row.live_since else None,
        "live_until": row.live_until.isoformat(timespec="seconds") if row.live_until else None,
        "intent_f1": scores.get("intent_f1"),
        "entity_f1": scores.get("entity_f1"),
        "gate": {"passed": gate["passed"], "reasons": gate.get("reasons", [])} if gate else None,
        "override_reason": row.override_reason,
    }


@model.command("list")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def model_list(app: AppContext, output: str):
    """Every model, newest first: state, origin, when trained and live, held-out scores, gate."""
    upgrade(app.settings.database_url)
    with app.db.reading() as session:
        rows = [model_row(row) for row in list_models(session)]
    if output == "json":
        click.echo(json.dumps(rows, indent=1))
        return
    click.echo(
        f"{'model':<12} {'state':<9} {'origin':<7} {'trained':<16} {'live since':<16} {'live until':<16} "
        f"{'intent F1':>9} {'entity F1':>9}  gate"
    )
    for row in rows:
        gate = row["gate"]
        click.echo(
            f"{row['model_id'][:12]:<12} {row['state']:<9} {row['origin']:<7} {_when(row['trained_at']):<16} "
            f"{_when(row['live_since']):<16} {_when(row['live_until']):<16} {_score(row['intent_f1']):>9} "
            f"{_score(row['entity_f1']):>9}  {'-' if gate is None else 'passed' if gate['passed'] else 'refused'}"
            + (f" (override: {row['override_reason']})" if row["override_reason"] else "")
        )


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@model.command("activate")
@click.argument("model_id", required=False)
@click.option("--previous", is_flag=True, help="Roll back: the model that was live before this one.")
@click.option("--override", "reason", metavar="REASON", help="Activate past a refusing gate; the reason is logged.")
@pass_app
def model_activate(app: AppContext, model_id: str | None, previous: bool, reason: str | None):
    """Load MODEL_ID (default: the newest candidate) into every running Rasa server and make it live; only past
    the gate (shop nlu compare) unless --override gives a reason."""
    if previous and model_id:
        raise click.UsageError("give a MODEL_ID or --previous, not both")
    if reason is not None and not reason.strip():
        raise click.UsageError("--override needs a reason")
    try:
        done = activate_model(app.db, app.settings, model_id, previous=previous, actor="cli", override_reason=reason)
    except GateRefused as exc:
        click.echo(f"model {exc.model_id} is not activated: the gate refused it", err=True)
        for line in exc.reasons:
            click.echo(f"  {line}", err=True)
        click.echo("(--override REASON activates it anyway, with the reason logged)", err=True)
        sys.exit(1)
    except (ModelNotFound, ServerFailed) as exc:
        raise click.ClickException(str(exc)) from None
    if not done.changed:
        click.echo(f"model {done.model_id} is live already")
        return
    click.echo(f"model {done.model_id} is live in {', '.join(done.servers)} (was: {done.previous_model_id or '-'})")
