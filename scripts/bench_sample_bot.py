"""Rasa's own sample bot (`rasa init`, the moodbot) as the benchmark's yardstick on the same machine.

Its model is trained once per machine and kept in the project's model cache, named after the Rasa version
and a digest of what a training depends on (Rasa's project template and the locked Rasa environment). It is
served with `rasa run` and Rasa's own defaults: in-memory tracker and lock stores, no event broker, no action
server (the moodbot only answers with responses).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from checkout.settings import PROJECT_ROOT
from cli.processes import ProcessSpec, Supervisor
from cli.rasa_engine import RASA_BIN, rasa_environment
from cli.scenario_runner import free_port

# The moodbot's stories and rules (data/stories.yml, data/rules.yml of `rasa init`), one conversation each,
# with messages from its own NLU examples: (message, what a correct reply contains).
STORIES: list[list[tuple[str, str]]] = [
    [("hello", "How are you?"), ("great", "Great, carry on!"), ("are you a bot?", "I am a bot"), ("goodbye", "Bye")],
    [("hi", "How are you?"), ("I am sad", "Did that help you?"), ("yes", "Great, carry on!"), ("bye bye", "Bye")],
    [("hey", "How are you?"), ("my day was horrible", "Did that help you?"), ("no", "Bye")],
]


def rasa_site_packages() -> Path:
    return next((PROJECT_ROOT / ".venv-rasa" / "lib").glob("python3*/site-packages"))


def model_name() -> str:
    """The Rasa version, and a digest of Rasa's project template and the locked Rasa environment."""
    site = rasa_site_packages()
    version = _rasa_version(site)
    template = site / "rasa" / "cli" / "initial_project"
    digest = hashlib.sha256()
    for path in [*sorted(p for p in template.rglob("*") if p.is_file()), PROJECT_ROOT / "requirements/rasa.lock.txt"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"rasa-init-{version}-{digest.hexdigest()[:12]}.tar.gz"


def _rasa_version(site: Path) -> str:
    [dist] = importlib.metadata.distributions(name="rasa", path=[str(site)])
    return dist.version


def sample_model(cache_dir: Path, echo=print) -> Path:
    """The moodbot's model from the cache (its own folder, out of the project models' pruning), trained by
    `rasa init --no-prompt` the first time."""
    folder = cache_dir / "sample-bot"
    cached = folder / model_name()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".training.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a parallel benchmark waits, then finds it cached
        if not cached.exists():
            echo(f"Training Rasa's sample bot once for this machine: {cached}")
            _train(cached)
    return cached


def _train(cached: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="rasa-init-") as tmp:
        command = [str(RASA_BIN), "init", "--no-prompt", "--init-dir", tmp]
        with (Path(tmp) / "init.log").open("w") as log:
            returncode = subprocess.run(command, env=rasa_environment(), cwd=tmp, stdout=log, stderr=log).returncode
        models = sorted((Path(tmp) / "models").glob("*.tar.gz"))
        if returncode != 0 or len(models) != 1:
            raise RuntimeError(f"rasa init exited with {returncode}: " + (Path(tmp) / "init.log").read_text()[-2000:])
        partial = cached.with_suffix(".partial")
        shutil.copyfile(models[0], partial)
        partial.replace(cached)  # atomic: a parallel run never serves half a model


@contextlib.contextmanager
def running_sample_bot(cache_dir: Path, workdir: Path, out: IO[str]) -> Iterator[str]:
    """`rasa run` of the moodbot on a free loopback port; yields its REST webhook URL."""
    model = sample_model(cache_dir)
    workdir.mkdir(parents=True, exist_ok=True)
    credentials = workdir / "credentials.yml"
    credentials.write_text("rest:\n")
    port = free_port()
    command = [str(RASA_BIN), "run", "--model", str(model), "--credentials", str(credentials)]
    command += ["--interface", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    # Its own folder as the working directory: no endpoints.yml there, so Rasa's defaults.
    supervisor = Supervisor(
        [ProcessSpec("sample-bot", command, rasa_environment(), f"{url}/")], out=out, cwd=str(workdir)
    )
    supervisor.start()
    try:
        supervisor.wait_ready(timeout=300)
        yield f"{url}/webhooks/rest/webhook"
    finally:
        supervisor.stop()
