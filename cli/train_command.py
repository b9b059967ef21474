"""`shop train`: a candidate model from the training data and the shop's catalog words.

With the shop running, its trainer (`shop learn`) trains it at low priority, one training at a time, and
compares it with the live model; this command asks for it and follows its progress. Without, it trains here.
Either way the model is a candidate: it goes live with `shop model activate`, past the gate.
"""

from __future__ import annotations

import sys
import time

import click

from checkout.db.migrate import upgrade
from checkout.learning import (
    LearningStatus,
    learner_running,
    learning_status,
    request_cancel,
    request_model_training,
)
from checkout.settings import Settings
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.model_files import ModelFileError
from checkout.trainer.registry import register_model
from cli.context import AppContext, pass_app
from cli.learning_commands import learn_catalog
from cli.training import TrainingFailed

POLL_SECONDS = 1.0


@click.command("train")
@click.option("--force", is_flag=True, help="Train even when a model for these inputs exists (shop not running).")
@click.option("--cancel", is_flag=True, help="Cancel the training under way in the running shop.")
@pass_app
def train(app: AppContext, force: bool, cancel: bool):
    """Train a candidate model on the shop's catalog and the training data (skipped when nothing changed),
    printing its progress; exits 1 when it fails. With the shop running, its trainer trains it and compares it
    with the live model (shop nlu compare)."""
    if cancel:
        cancelled = request_cancel(app.settings)
        click.echo("no training to cancel" if cancelled is None else "the training is being cancelled")
        return
    upgrade(app.settings.database_url)  # a fresh install has no tables yet to read the catalog from
    if learner_running(app.settings):
        if force:
            click.echo("--force applies to a training here; the shop's trainer trains only what changed", err=True)
        status = follow(app.settings, request_model_training(app.settings))
        if status.state != "trained":
            click.echo(f"the training failed: {status.detail}", err=True)
            sys.exit(1)
        click.echo(status.detail)
        return
    try:
        model = learn_catalog(app, force=force)
        row = register_model(app.db, model, ModelOrigin.REVIEW, ModelState.CANDIDATE)
    except (TrainingFailed, ModelFileError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(str(model))
    if row.state == ModelState.CANDIDATE:
        click.echo(f"candidate {row.model_id}: compare it with the live model (shop nlu compare)")
    else:
        click.echo(f"model {row.model_id} is {row.state} already")


def follow(settings: Settings, request: str, echo=click.echo) -> LearningStatus:
    """Prints the progress of the training serving `request` until it ends; its last status."""
    shown = ""
    try:
        while True:
            status = learning_status(settings)
            ours = status.request == request
            step = progress_step(status) if ours else "waiting for the training under way"
            if step != shown:
                elapsed = time.time() - status.started_at if ours and status.started_at else 0.0
                echo(f"{elapsed:5.0f} s  {step}")
                shown = step
            if ours and status.state in ("trained", "failed"):
                return status
            if not learner_running(settings):
                raise click.ClickException("the shop's trainer stopped (is `shop run` still running?)")
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        echo("the training goes on in the shop; `shop train --cancel` stops it")
        raise


def progress_step(status: LearningStatus) -> str:
    """What the training does, changing once per stage and per tenth of its epochs (what is printed)."""
    if status.state in ("trained", "failed") or not status.stage:
        return status.state
    tenth = max(status.epochs // 10, 1)
    epochs = f", epoch {status.epoch // tenth * tenth}/{status.epochs}" if status.epochs else ""
    return f"{status.state}: {status.stage}{epochs}"
