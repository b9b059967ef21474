"""Runs several long-lived processes as one: prefixed log lines, and all stop when one stops or on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO

import httpx


@dataclass
class ProcessSpec:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # Answering 2xx here means the process serves (printed in "what runs where").
    ready_url: str | None = None
    # One of several interchangeable servers behind the balancer: when it dies the others carry on and it is
    # started again, rather than the whole shop stopping with it.
    restart: bool = False


class Supervisor:
    def __init__(self, specs: list[ProcessSpec], out: IO[str] = sys.stdout, cwd: str | None = None):
        self.specs = specs
        self.out = out
        self.cwd = cwd
        self.processes: dict[str, subprocess.Popen] = {}
        self.started_at: dict[str, float] = {}
        self._restart_at: dict[str, float] = {}  # pool members waiting to be started again
        self._lock = threading.Lock()
        self._width = max(len(s.name) for s in specs)

    def start(self) -> None:
        for spec in self.specs:
            self._spawn(spec)

    def _spawn(self, spec: ProcessSpec) -> None:
        process = subprocess.Popen(
            spec.command,
            env={**os.environ, **spec.env},
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            errors="replace",
            # Own process group: Ctrl-C reaches us once, and we stop each child in order.
            start_new_session=True,
        )
        self.processes[spec.name] = process
        self.started_at[spec.name] = time.monotonic()
        threading.Thread(target=self._pump, args=(spec.name, process), daemon=True).start()

    def _pump(self, name: str, process: subprocess.Popen) -> None:
        assert process.stdout is not None  # started with stdout=PIPE
        with process.stdout:  # closed at EOF, so a stopped child leaves no open pipe behind
            for line in process.stdout:
                self.log(name, line.rstrip("\n"))

    def log(self, name: str, line: str) -> None:
        with self._lock:
            self.out.write(f"{name:<{self._width}} | {line}\n")
            self.out.flush()

    def wait_ready(self, timeout: float) -> None:
        """Blocks until every process with a ready_url answers; raises if one dies or time runs out."""
        deadline = time.monotonic() + timeout
        pending = [(s.name, s.ready_url) for s in self.specs if s.ready_url]
        while pending:
            for name, url in list(pending):
                self._raise_if_exited(name)
                with contextlib.suppress(httpx.HTTPError):  # not listening yet
                    if httpx.get(url, timeout=2).status_code < 500:
                        pending.remove((name, url))
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f}s: " + ", ".join(name for name, _ in pending))
            time.sleep(0.3)

    def _raise_if_exited(self, name: str) -> None:
        code = self.processes[name].poll()
        if code is not None:
            raise RuntimeError(f"{name} exited with code {code} while starting")

    def supervise(self) -> int:
        """Until Ctrl-C/SIGTERM or a child exits; then stops the rest. Returns the exit code to use."""
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        code = None
        while code is None and not stop.is_set():
            code = self.tend()
            stop.wait(0.5)
        self.log("shop", "stopping all processes")
        self.stop()
        return code or 0

    def tend(self) -> int | None:
        """One look at the children: a stopped pool member is started again (after a pause); any other stopped
        child ends the shop. Returns the exit code to end with, or None to carry on."""
        now = time.monotonic()
        for spec in self.specs:
            process = self.processes[spec.name]
            if spec.name in self._restart_at:
                if now >= self._restart_at[spec.name]:
                    del self._restart_at[spec.name]
                    self.log("shop", f"starting {spec.name} again")
                    self._spawn(spec)
            elif process.poll() is not None and spec.restart:
                # Quickly again after a long life; after a crash at start, no faster than every 10 s.
                self._restart_at[spec.name] = now + (1.0 if now - self.started_at[spec.name] > 60 else 10.0)
                self.log("shop", f"{spec.name} exited with code {process.returncode}; the others serve its share")
            elif process.poll() is not None:
                self.log("shop", f"{spec.name} exited with code {process.returncode}; stopping the others")
                return process.returncode or 1
        return None

    def stop(self, timeout: float = 10) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, process in self.processes.items():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log("shop", f"{name} did not stop in {timeout}s; killing it")
                _signal_group(process, signal.SIGKILL)
                process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, sig)
