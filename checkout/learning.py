"""The assistant keeps up with the catalog.

After every catalog change (CLI import, dashboard import or edit) the catalog's words are published at
once for Rasa's NLU component (checkout.catalog.terms_file), so new names are understood right away, and a
training of a model that knows them is requested. The trainer (`shop learn`, started by `shop run`) waits
until the changes settle, trains at low CPU priority, one training at a time, and loads the new model into
the running Rasa; its progress is kept here for the dashboard.

Requests and status are small files beside the terms snapshot: one machine's processes share them.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from checkout.catalog.terms_file import publish_catalog_terms
from checkout.settings import Settings


@dataclass(frozen=True)
class LearningStatus:
    state: str  # idle, waiting (a change is to be learned), training, loading, learned, failed
    since: float  # when it entered this state (Unix time)
    detail: str = ""  # the model loaded, or what failed

    @property
    def busy(self) -> bool:
        return self.state in ("waiting", "training", "loading")


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


def record_status(settings: Settings, state: str, detail: str = "") -> None:
    _write(learning_dir(settings) / "status.json", asdict(LearningStatus(state, time.time(), detail)))


def learning_status(settings: Settings) -> LearningStatus:
    try:
        data = json.loads((learning_dir(settings) / "status.json").read_text())
        return LearningStatus(data["state"], data["since"], data.get("detail", ""))
    except (FileNotFoundError, ValueError, KeyError):
        return LearningStatus("idle", 0.0)


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(data))
    partial.replace(path)
