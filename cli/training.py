"""`shop train`: a model per fingerprint of its inputs, never retrained when nothing changed.

The fingerprint covers Rasa's config, domain, training data and the locked Rasa version. Trained models
are kept in models/ and in a per-user cache, so a fresh clone with unchanged data starts at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from checkout.settings import PROJECT_ROOT
from cli.rasa_engine import rasa_environment, rasa_train_command

KEEP_MODELS = 3
KEEP_CACHED_MODELS = 10  # each is ~40 MB

# Runs `rasa train` (command, environment, working directory) and returns its exit code; the trainer's own
# runner follows its progress and can cancel it (cli/model_training.py).
TrainingRunner = Callable[[list[str], dict[str, str], Path], int]


def run_training(command: list[str], env: dict[str, str], cwd: Path) -> int:
    return subprocess.run(command, env=env, cwd=cwd).returncode


def training_inputs(root: Path = PROJECT_ROOT) -> list[Path]:
    data = sorted(p for p in (root / "data").rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return [root / "config.yml", root / "domain.yml", root / "requirements" / "rasa.lock.txt", *data]


def model_fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class TrainingFailed(RuntimeError):
    pass


def ensure_model(
    cache_dir: Path,
    force: bool = False,
    echo=print,
    root: Path = PROJECT_ROOT,
    low_priority: bool = False,
    run: TrainingRunner = run_training,
) -> Path:
    """Path of the model for the training inputs under `root` (the project, or a copy of its data with
    another catalog's words), training it only when no copy exists."""
    fingerprint = model_fingerprint(root)
    models_dir = root / "models"
    model = models_dir / f"{fingerprint}.tar.gz"
    cached = cache_dir / model.name
    if not force and model.exists():
        echo(f"Model {model.name} is up to date.")
        return model
    models_dir.mkdir(parents=True, exist_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # One training at a time per cache: a second clone or test run waits, then finds the model cached.
    with (cache_dir / ".training.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and cached.exists():
            shutil.copyfile(cached, model)
            echo(f"Model {model.name} restored from {cache_dir}.")
            return model
        return _train(root, fingerprint, model, cached, cache_dir, echo, low_priority, run)


def _train(
    root: Path,
    fingerprint: str,
    model: Path,
    cached: Path,
    cache_dir: Path,
    echo,
    low_priority: bool,
    run: TrainingRunner,
) -> Path:
    echo(f"Training model {fingerprint} (a few minutes on 2 cores)...")
    command = rasa_train_command(model.parent, fingerprint, root)
    if low_priority:  # a background training must not slow down the conversations being served
        command = ["nice", "-n", "10", *command]
    returncode = run(command, rasa_environment(), root)
    if returncode != 0 or not model.exists():
        raise TrainingFailed(f"rasa train exited with {returncode}")
    shutil.copyfile(model, cached.with_suffix(".partial"))
    cached.with_suffix(".partial").replace(cached)  # atomic: a parallel clone never reads half a model
    _prune(model.parent, keep=model, count=KEEP_MODELS)
    _prune(cache_dir, keep=cached, count=KEEP_CACHED_MODELS)
    return model


def _prune(directory: Path, keep: Path, count: int) -> None:
    models = sorted(directory.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[count:]:
        if old != keep:
            old.unlink(missing_ok=True)
