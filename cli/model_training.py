"""A trainer's training: a candidate model from the shop's training inputs (its catalog's words, the training
data with the reviewed examples), trained at low priority, then compared with the live model on the held-out
files and its gate recorded. It is never loaded: it goes live only through `shop model activate`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from checkout.assistant_client import AssistantUnavailable
from checkout.db.models import NluModel
from checkout.learning import learning_status, record_status
from checkout.settings import Settings
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.model_files import ModelFileError
from checkout.trainer.registry import ModelNotFound, register_model
from cli.context import AppContext
from cli.model_compare import compare_models
from cli.training import TrainingFailed, ensure_model
from cli.training_progress import Progress, TrainingCancelled


def train_candidate(app: AppContext, root: Path, request: str = "", echo: Callable[[str], None] = print) -> NluModel:
    """Trains on the inputs under `root` unless a model of the same inputs exists (it is never trained twice),
    and registers it as a candidate. Raises TrainingFailed (TrainingCancelled)."""
    progress = Progress(app.settings, request, echo)
    progress.write()
    try:
        model = ensure_model(app.settings.model_cache_path, echo=echo, root=root, low_priority=True, run=progress.run)
    except TrainingFailed as exc:
        if progress.cancelled:
            raise TrainingCancelled("cancelled") from None
        raise TrainingFailed(f"{exc}: {progress.tail[-1]}" if progress.tail else str(exc)) from None
    return register_model(app.db, model, ModelOrigin.REVIEW, ModelState.CANDIDATE)


def train_and_compare(app: AppContext, root: Path, request: str = "", echo: Callable[[str], None] = print) -> bool:
    """The trainer's answer to `shop train`, its outcome in the learning status: "trained" (the detail says the
    candidate and its gate) or "failed". Returns whether it succeeded."""
    settings, started = app.settings, time.time()
    try:
        row = train_candidate(app, root, request, echo)
    except (TrainingFailed, ModelFileError) as exc:
        echo(f"training failed: {exc}")
        return _finish(settings, "failed", str(exc), request, started)
    if row.state != ModelState.CANDIDATE:  # nothing changed since this model was trained
        detail = f"model {row.model_id} ({row.state}): nothing new to learn"
        return _finish(settings, "trained", detail, request, started)
    record_status(
        settings, "comparing", f"candidate {row.model_id}", stage="comparing", started_at=started, request=request
    )
    try:
        result = compare_models(app, candidate_id=row.model_id, echo=echo)
    except (ModelNotFound, ModelFileError, AssistantUnavailable, RuntimeError, TimeoutError, ValueError) as exc:
        echo(f"comparison failed: {exc}")
        return _finish(settings, "failed", f"candidate {row.model_id}, not compared: {exc}", request, started)
    verdict = "passed" if result["gate"]["passed"] else "refused: " + "; ".join(result["gate"]["reasons"])
    echo(f"candidate {row.model_id}: gate {verdict}")
    return _finish(settings, "trained", f"candidate {row.model_id}, gate {verdict}", request, started)


def _finish(settings: Settings, state: str, detail: str, request: str, started: float) -> bool:
    """The outcome, with where the training was when it ended (the stage and epoch a failure stopped at)."""
    last = learning_status(settings)
    stage, epoch, epochs = (last.stage, last.epoch, last.epochs) if last.request == request else ("", 0, 0)
    record_status(
        settings, state, detail[:500], stage=stage, epoch=epoch, epochs=epochs, started_at=started, request=request
    )
    return state == "trained"
