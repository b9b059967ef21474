"""The assistant keeps up with the catalog.

After every catalog change (CLI import, dashboard import or edit) the catalog's words are published at
once for Rasa's NLU component (checkout.catalog.terms_file), so new names are understood right away, and a
training of a model that knows them is requested. The trainer (`shop learn`, started by `shop run`) waits
until the changes settle, trains at low CPU priority, one training at a time, and loads the new model into
the running Rasa; its progress is kept here for the dashboard.

A trainer's `shop train` asks the same trainer for a training of a candidate model (not loaded: it goes live
only through the gate, checkout.trainer.activation), follows its progress here and may cancel it.

Requests and status are small files beside the terms snapshot: one machine's processes share them.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from sqlalchemy.orm import Session

from checkout.catalog.terms_file import publish_catalog_terms
from checkout.settings import Settings


@dataclass(frozen=True)
class LearningStatus:
    # idle, waiting (a change is to be learned), training, loading, comparing, learned, trained (a candidate is
    # ready), failed
    state: str
    since: float  # when it entered this state (Unix time)
    detail: str = ""  # the model loaded, or what failed
    stage: str = ""  # what the training does now (a Rasa component's name), for the progress shown
    epoch: int = 0
    epochs: int = 0
    started_at: float = 0.0  # when the training began: elapsed time on the page
    request: str = ""  # the `shop train` request it serves; "" for a catalog change

    @property
    def busy(self) -> bool:
        return self.state in ("waiting", "training", "loading", "comparing")


# The trainer writes its heartbeat every few seconds, training or not: older than this, it is not running.
HEARTBEAT_SECONDS = 2.0
HEARTBEAT_MAX_AGE = 15.0


def learning_dir(settings: Settings) -> Path:
    return Path(settings.shop_catalog_terms_file).parent / "learning"


def catalog_changed(session: Session, settings: Settings) -> None:
    """Publishes the catalog's words now and asks for a model that learned them."""
    publish_catalog_terms(session, Path(settings.shop_catalog_terms_file))
    request_training(settings)


def request_training(settings: Settings) -> None:
    _write(learning_dir(settings) / "request.json", {"requested_at": time.time()})
    if not learning_status(settings).busy:
        record_status(settings, "waiting")


def take_request(settings: Settings, settle_seconds: float) -> float | None:
    """The pending request's time once no change came for `settle_seconds` (an import and three edits
    train once), removing it; None while there is none or changes are still coming."""
    path = learning_dir(settings) / "request.json"
    try:
        requested_at = json.loads(path.read_text())["requested_at"]
    except (FileNotFoundError, ValueError, KeyError):
        return None
    if time.time() - requested_at < settle_seconds:
        return None
    path.unlink(missing_ok=True)
    return requested_at


def record_status(
    settings: Settings,
    state: str,
    detail: str = "",
    *,
    stage: str = "",
    epoch: int = 0,
    epochs: int = 0,
    started_at: float = 0.0,
    request: str = "",
) -> None:
    status = LearningStatus(state, time.time(), detail, stage, epoch, epochs, started_at, request)
    _write(learning_dir(settings) / "status.json", asdict(status))


def learning_status(settings: Settings) -> LearningStatus:
    try:
        data = json.loads((learning_dir(settings) / "status.json").read_text())
        known = {f.name for f in fields(LearningStatus)}
        return LearningStatus(**{k: v for k, v in data.items() if k in known})
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return LearningStatus("idle", 0.0)


def beat(settings: Settings) -> None:
    _write(learning_dir(settings) / "heartbeat.json", {"pid": os.getpid(), "at": time.time()})


def stop_beating(settings: Settings) -> None:
    (learning_dir(settings) / "heartbeat.json").unlink(missing_ok=True)


def learner_running(settings: Settings) -> bool:
    """Whether a trainer (`shop learn`, started by `shop run`) takes requests now."""
    try:
        at = json.loads((learning_dir(settings) / "heartbeat.json").read_text())["at"]
    except (FileNotFoundError, ValueError, KeyError):
        return False
    return time.time() - at < HEARTBEAT_MAX_AGE


def request_model_training(settings: Settings) -> str:
    """Asks the trainer for a candidate model; returns the request's id (a pending request's, when there is one:
    one training at a time, and a second ask joins the first)."""
    path = learning_dir(settings) / "train_request.json"
    try:
        return str(json.loads(path.read_text())["id"])
    except (FileNotFoundError, ValueError, KeyError):
        request = uuid.uuid4().hex[:12]
        _write(path, {"id": request, "requested_at": time.time()})
        return request


def take_model_training_request(settings: Settings) -> str | None:
    path = learning_dir(settings) / "train_request.json"
    try:
        request = str(json.loads(path.read_text())["id"])
    except (FileNotFoundError, ValueError, KeyError):
        return None
    path.unlink(missing_ok=True)
    return request


def request_cancel(settings: Settings) -> str | None:
    """Cancels the training under way (or the trainer's request not started yet); None: nothing to cancel."""
    pending = take_model_training_request(settings)
    if pending is not None:
        record_status(settings, "failed", "cancelled", request=pending)
        return pending
    status = learning_status(settings)
    if status.state != "training":
        return None
    _write(learning_dir(settings) / "cancel.json", {"request": status.request, "at": time.time()})
    return status.request


def cancel_requested(settings: Settings, request: str, since: float) -> bool:
    """Whether the training serving `request` ("" for a catalog change), begun at `since`, is to stop; a cancel
    older than the training (its trainer stopped before reading it) is not for it."""
    path = learning_dir(settings) / "cancel.json"
    try:
        cancel = json.loads(path.read_text())
        wanted = cancel["request"] == request and cancel["at"] >= since
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    if wanted:
        path.unlink(missing_ok=True)
    return wanted


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(data))
    partial.replace(path)
