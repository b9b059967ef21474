"""Small stand-ins for Rasa's model archives: a .tar.gz with the metadata.json Rasa writes, nothing to load."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path


def write_model_archive(path: Path, model_id: str, trained_at: str = "2026-12-01T10:00:00.000001") -> Path:
    """`path` (named <fingerprint>.tar.gz, as cli/training.py names models) holding Rasa's metadata.json last."""
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = json.dumps({"trained_at": trained_at, "model_id": model_id, "assistant_id": "test"}).encode()
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (("components/domain_provider/domain.yml", b"version: '3.1'\n"), ("metadata.json", metadata)):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path
