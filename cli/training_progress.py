"""A training's progress: `rasa train` followed line by line, its stage and epoch (and so the elapsed time) in the
learning status for `shop train` and the dashboard, stopped when a cancel is asked.

Rasa logs "Starting to train component 'X'." for each stage and draws a tqdm bar "Epochs: 40%|...| 40/100"
for each neural component: those two lines are all the progress it tells.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from checkout.learning import cancel_requested, record_status
from checkout.settings import Settings
from cli.training import TrainingFailed

STAGE = re.compile(r"Starting to train component '([^']+)'")
EPOCH = re.compile(r"Epochs:\s*\d+%\|[^|]*\|\s*(\d+)/(\d+)")
LINE_END = re.compile(rb"[\r\n]")
WRITE_EVERY = 0.5  # seconds between progress writes: tqdm redraws many times a second
STOP_GRACE = 10.0  # seconds `rasa train` gets to stop on SIGTERM before SIGKILL


class TrainingCancelled(TrainingFailed):
    pass


class Progress:
    """Follows one training's output and keeps its status file current."""

    def __init__(self, settings: Settings, request: str, echo: Callable[[str], None]):
        self.settings, self.request, self.echo = settings, request, echo
        self.started_at = time.time()
        self.stage, self.epoch, self.epochs = "preparing", 0, 0
        self.cancelled = False
        self.tail: deque[str] = deque(maxlen=20)  # the last lines: what a failure says
        self._written = 0.0

    def write(self, state: str = "training", detail: str = "", force: bool = True) -> None:
        if not force and time.monotonic() - self._written < WRITE_EVERY:
            return
        self._written = time.monotonic()
        record_status(
            self.settings,
            state,
            detail,
            stage=self.stage,
            epoch=self.epoch,
            epochs=self.epochs,
            started_at=self.started_at,
            request=self.request,
        )

    def line(self, text: str) -> None:
        if stage := STAGE.search(text):
            self.stage, self.epoch, self.epochs = stage.group(1), 0, 0
            self.echo(f"training {self.stage}")
            self.write()
        elif epoch := EPOCH.search(text):
            self.epoch, self.epochs = int(epoch.group(1)), int(epoch.group(2))
            self.write(force=self.epoch == self.epochs)
        elif text.strip():
            self.tail.append(text.strip())

    def run(self, command: list[str], env: dict[str, str], cwd: Path) -> int:
        """`rasa train` in a process group of its own, so a cancel stops it and whatever it started."""
        self.stage = "starting Rasa"
        self.write()
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        watcher = threading.Thread(target=self._watch_for_cancel, args=(process,), daemon=True)
        watcher.start()
        assert process.stdout is not None  # started with stdout=PIPE
        pending = b""
        try:
            # os.read returns what the pipe holds: tqdm's bar ends its redraws with \r, never a newline
            while chunk := os.read(process.stdout.fileno(), 65536):
                *lines, pending = LINE_END.split(pending + chunk)
                for raw in lines:
                    self.line(raw.decode(errors="replace"))
        except BaseException:  # the trainer is stopping (`shop run` ends, Ctrl-C): its group is not the training's
            _stop_group(process)
            raise
        self.line(pending.decode(errors="replace"))
        process.stdout.close()
        returncode = process.wait()
        watcher.join()
        return returncode

    def _watch_for_cancel(self, process: subprocess.Popen) -> None:
        while process.poll() is None:
            if cancel_requested(self.settings, self.request, self.started_at):
                self.cancelled = True
                self.echo("cancelling the training")
                _stop_group(process)
                return
            time.sleep(0.5)


def _stop_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
