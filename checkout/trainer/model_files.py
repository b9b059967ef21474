"""Model archives on disk: the id and training time Rasa wrote into each, and where a registered model's file is.

A model is kept by the fingerprint of its training inputs (cli/training.py names the file after it); its id is
the one Rasa wrote into the archive and puts into the metadata of every event it parses, so a recorded message
says which model read it.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from checkout.db.models import NluModel

MODEL_SUFFIX = ".tar.gz"


class ModelFileError(ValueError):
    """The file is not a model Rasa trained (no archive, or no model id in its metadata)."""


@dataclass(frozen=True)
class ModelMetadata:
    model_id: str
    trained_at: datetime


def model_metadata(path: Path) -> ModelMetadata:
    """What Rasa wrote into the archive's metadata.json (its last member: the whole archive is read, ~0.3 s)."""
    try:
        data = _metadata_json(path)
        if data is not None:
            trained_at = datetime.fromisoformat(data["trained_at"])  # Rasa writes datetime.utcnow(): naive UTC
            return ModelMetadata(str(data["model_id"]), trained_at.replace(tzinfo=trained_at.tzinfo or UTC))
    except (OSError, tarfile.TarError, ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: not a Rasa model ({type(exc).__name__}: {exc})") from exc
    raise ModelFileError(f"{path}: no metadata.json in the archive")


def _metadata_json(path: Path) -> dict | None:
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.name.lstrip("/").removeprefix("./") == "metadata.json":
                handle = archive.extractfile(member)
                return json.load(handle) if handle is not None else None
    return None


def model_id_of(path: Path) -> str:
    return model_metadata(path).model_id


def fingerprint_of(path: Path) -> str:
    return path.name.removesuffix(MODEL_SUFFIX)


def model_file(row: NluModel, cache_dir: Path) -> Path | None:
    """Where the model's archive is now: where it was registered, else its copy in the model cache (the
    project's models/ keeps only the newest few)."""
    registered = Path(row.path)
    if registered.exists():
        return registered
    cached = cache_dir / f"{row.fingerprint}{MODEL_SUFFIX}"
    # a forced retraining writes another model under the same fingerprint: only the same id will do
    if cached.exists() and model_id_of(cached) == row.model_id:
        return cached
    return None
