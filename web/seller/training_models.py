"""Train, compare, activate, roll back: the trainer's models page.

"Train" asks the shop's trainer (`shop learn`, started by `shop run`) for a candidate model, as `shop train` does;
the page follows its progress and shows the comparison with the live model once the trainer recorded it. Activation
loads a model into every running Rasa server (checkout.trainer.activation): only past the gate, or with a reason.
"""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, url_for

from checkout.learning import learner_running, learning_status, request_cancel, request_model_training
from checkout.trainer.activation import GateRefused, ServerFailed, activate_model
from checkout.trainer.comparison import models_overview
from checkout.trainer.model_files import ModelFileError
from checkout.trainer.registry import ModelNotFound
from web.seller import actor, bp, database, settings

REFRESH_SECONDS = 4  # while a training runs: its stage and epoch change every few seconds


@bp.get("/training/models")
def training_models():
    s = settings()
    status, running = learning_status(s), learner_running(s)
    requested = request.args.get("requested", "")
    # Asked for, not taken by the trainer yet: the status still tells of the training before.
    pending = bool(requested) and status.request != requested
    with database().reading() as session:
        overview = models_overview(session)
    started = status.started_at or status.since
    return render_template(
        "seller/training_models.html",
        status=status,
        elapsed=(time.time() if status.busy else status.since) - started if started else None,
        running=running,
        pending=pending,
        refresh=REFRESH_SECONDS if running and (status.busy or pending) else None,
        overview=overview,
    )


@bp.post("/training/train")
def training_train():
    s = settings()
    request_id = request_model_training(s)
    if learner_running(s):
        flash("Training requested: the shop's trainer starts it in a moment.")
    else:
        flash(
            "Training requested, but the shop's trainer is not running: it starts when the shop does (shop run). "
            "Or train in a terminal with `shop train`.",
            "error",
        )
    return redirect(url_for("seller.training_models", requested=request_id))


@bp.post("/training/cancel")
def training_cancel():
    if request_cancel(settings()) is None:
        flash("There is no training to cancel.", "error")
    else:
        flash("The training is being cancelled.")
    return redirect(url_for("seller.training_models"))


@bp.post("/training/models/<model_id>/activate")
def training_activate(model_id: str):
    override = request.form.get("override") == "1"
    reason = request.form.get("reason", "").strip()
    if override and not reason:
        flash("An override needs a reason: say why this model should go live although the gate refused it.", "error")
        return redirect(url_for("seller.training_models"))
    return _activate(model_id, override_reason=reason if override else None)


@bp.post("/training/models/rollback")
def training_rollback():
    return _activate(None, previous=True)


def _activate(model_id: str | None, *, previous: bool = False, override_reason: str | None = None):
    try:
        done = activate_model(
            database(), settings(), model_id, previous=previous, actor=actor(), override_reason=override_reason
        )
    except GateRefused as exc:
        flash(f"Model {exc.model_id} is not activated, the gate refused it: {'; '.join(exc.reasons)}.", "error")
    except (ModelNotFound, ModelFileError, ServerFailed) as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        if not done.changed:
            flash(f"Model {done.model_id} is live already.")
        else:
            verb = "Rolled back to" if previous else "Activated"
            flash(f"{verb} model {done.model_id}: live in {len(done.servers)} Rasa server(s), conversations carry on.")
    return redirect(url_for("seller.training_models"))
