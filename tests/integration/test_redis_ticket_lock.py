"""The lock store for several Rasa servers (packages/redis_ticket_lock) against the real Redis, driven by several
OS processes at once, each one like a Rasa server: tests/redis_lock_driver.py run by .venv-rasa's Python.

Every test has its own key prefix. Waits are on events the processes print, with their own timestamps (one
monotonic clock for the machine), never on fixed sleeps.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
DRIVER = ROOT / "tests" / "redis_lock_driver.py"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STORE_CLASS = "redis_ticket_lock.AtomicRedisLockStore"
UNREACHABLE = 3  # the driver's exit status when Redis does not answer
START_TIMEOUT = 60  # seconds for a driver to import Rasa, on a loaded 2-core machine


class Worker:
    """One driver process in `serve` mode (like one Rasa server); its JSON events are read by a thread."""

    def __init__(self, log_dir: Path, *serve_options: str) -> None:
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        with self.log.open("w") as stderr:
            self.process = subprocess.Popen(
                [str(RASA_PYTHON), str(DRIVER), "serve", *serve_options],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.events: queue.Queue[dict] = queue.Queue()
        self.idle = False  # seen `idle` as its last event: free for the next command
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.events.put(json.loads(line))
        self.events.put({"event": "exit"})

    def expect(self, event: str | None, timeout: float = START_TIMEOUT) -> dict:
        """The process's next event, which must be `event` (None: any but the process's end)."""
        try:
            got = self.events.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no '{event}' from the driver within {timeout} s; its stderr:\n{self.stderr()}")
        if got["event"] != (event or got["event"]) or got["event"] == "exit":
            pytest.fail(f"expected '{event}' from the driver, got {got}; its stderr:\n{self.stderr()}")
        self.idle = got["event"] == "idle"
        return got

    def answer(self, *argv: str) -> dict:
        """Runs a command that prints one event, and returns that event."""
        self.run(*argv)
        got = self.expect(None)
        self.finish()
        return got

    def run(self, *argv: str) -> None:
        if not self.idle:
            self.expect("idle")  # still importing Rasa
        self._send(json.dumps(list(argv)))
        self.idle = False

    def go(self) -> None:
        self._send("go")

    def finish(self, timeout: float = 30) -> None:
        """Waits for the command to end."""
        self.expect("idle", timeout=timeout)

    def kill(self) -> None:
        """SIGKILL, as when a server's machine dies: no `finally`, no exit handler runs."""
        self.process.send_signal(signal.SIGKILL)

    def stderr(self) -> str:
        return self.log.read_text()[-4000:]

    def _send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()


class WorkerPool:
    """Worker processes kept warm across the tests: importing Rasa is most of a driver's start-up, and on two
    cores sixteen imports would take longer than all the scenarios together."""

    def __init__(self, log_dir: Path, size: int) -> None:
        self.log_dir = log_dir
        self.size = size
        self.free = [Worker(log_dir) for _ in range(size)]
        self.inspector = Worker(log_dir, "--redis-only")  # answers `keys`, `get` and `clean`

    def take(self, how_many: int) -> list[Worker]:
        while len(self.free) < how_many:
            self.free.append(Worker(self.log_dir))
        taken, self.free = self.free[:how_many], self.free[how_many:]
        return taken

    def give_back(self, workers: list[Worker]) -> None:
        """Idle workers return; a killed or unfinished one is replaced by a fresh one, which warms up meanwhile."""
        for worker in workers:
            if worker.idle and worker.process.poll() is None:
                self.free.append(worker)
            else:
                worker.kill()  # a failed test may have left it holding a lock for ever
                worker.process.wait()
        while len(self.free) < self.size:
            self.free.append(Worker(self.log_dir))

    def close(self) -> None:
        for worker in [*self.free, self.inspector]:
            worker.kill()  # idle, holding nothing: no need to wait for a graceful exit
            worker.process.wait()


@pytest.fixture(scope="module")
def rasa_python() -> Path:
    if not RASA_PYTHON.exists():
        pytest.skip(f"{RASA_PYTHON} is missing: the lock store runs in Rasa's environment (make envs)")
    return RASA_PYTHON


@pytest.fixture(scope="module")
def redis_url(rasa_python) -> str:
    ping = subprocess.run([str(RASA_PYTHON), str(DRIVER), "ping", REDIS_URL], capture_output=True, text=True)
    if ping.returncode == UNREACHABLE:
        pytest.skip(f"Redis is unreachable at {REDIS_URL} (TEST_REDIS_URL): {ping.stderr.strip()}")
    assert ping.returncode == 0, ping.stderr
    return REDIS_URL


@pytest.fixture(scope="module")
def pool(rasa_python, tmp_path_factory):
    workers = WorkerPool(tmp_path_factory.mktemp("redis-lock-workers"), size=6)
    yield workers
    workers.close()


@pytest.fixture
def workers(pool):
    """`workers(n)`: n warm processes for this test; given back (or replaced) at its end."""
    taken: list[Worker] = []

    def take(how_many: int) -> list[Worker]:
        group = pool.take(how_many)
        taken.extend(group)
        return group

    yield take
    pool.give_back(taken)


@pytest.fixture
def prefix(redis_url: str, pool: WorkerPool) -> str:
    name = f"test_lock_{uuid.uuid4().hex[:12]}"
    yield name
    pool.inspector.answer("clean", redis_url, f"{name}*")


def endpoint(redis_url: str, prefix: str, **settings: float) -> str:
    """The endpoints.yml `lock_store:` mapping, as JSON: what cli/rasa_engine.py writes for Rasa."""
    parts = urlsplit(redis_url)
    config = {
        "type": STORE_CLASS,
        "url": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
        "key_prefix": prefix,
        **settings,
    }
    if parts.password:
        config["password"] = unquote(parts.password)
    return json.dumps(config)


def keys_left(pool: WorkerPool, redis_url: str, prefix: str) -> dict[str, int]:
    """The store's keys under `prefix`, with their milliseconds to live (-1: no TTL)."""
    return pool.inspector.answer("keys", redis_url, f"{prefix}:*")["keys"]


def start_together(group: list[Worker], *argv: str) -> None:
    """Runs the same command in every worker, all released at once when all are ready."""
    for worker in group:
        worker.run(*argv)
    for worker in group:
        worker.expect("ready")
    for worker in group:
        worker.go()


def test_concurrent_ticket_takers_never_get_the_same_number(redis_url, prefix, pool, workers):
    processes, count = 6, 200
    takers = workers(processes)
    start_together(takers, "tickets", endpoint(redis_url, prefix), "conversation-1", str(count))

    issued = [taker.expect("tickets")["tickets"] for taker in takers]
    for taker in takers:
        taker.finish()

    every = [number for numbers in issued for number in numbers]
    assert len(every) == processes * count
    assert len(set(every)) == len(every), "a ticket number was issued twice"
    assert all(numbers == sorted(numbers) for numbers in issued), "numbers went backwards within one process"
    assert keys_left(pool, redis_url, prefix) == {}


def test_only_one_holder_at_a_time_across_processes(redis_url, prefix, pool, workers):
    # Polling every 10 ms instead of the default 50 only keeps this test short: 120 handovers.
    processes, tasks, count = 4, 2, 15
    config = endpoint(redis_url, prefix, poll_seconds=0.01)
    counter = f"{prefix}_counter"  # outside the store's `<prefix>:` keys
    runners = workers(processes)
    start_together(runners, "sections", config, "same-conversation", str(count), str(tasks), redis_url, counter)

    spans = sorted(tuple(span) for runner in runners for span in runner.expect("sections")["spans"])
    for runner in runners:
        runner.finish()

    total = processes * tasks * count
    assert len(spans) == total
    assert pool.inspector.answer("get", redis_url, counter)["value"] == str(total), "an increment was lost"
    overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    assert not overlaps, f"{len(overlaps)} critical sections overlapped, e.g. {overlaps[0]}"
    assert keys_left(pool, redis_url, prefix) == {}


def holder_and_waiter(workers, config: str, *hold: str) -> tuple[Worker, Worker]:
    """A holder that has the lock, and a waiter queued behind it (the holder saw its ticket)."""
    holder, waiter = workers(2)
    holder.run("hold", config, "conversation-1", *hold)
    waiter.run("acquire", config, "conversation-1")
    holder.expect("ready")
    waiter.expect("ready")
    holder.go()
    holder.expect("acquired")
    waiter.go()
    return holder, waiter


def test_a_killed_holder_frees_the_conversation_after_its_lease(redis_url, prefix, pool, workers):
    lease = 1.0
    holder, waiter = holder_and_waiter(workers, endpoint(redis_url, prefix, lease_seconds=lease), "-1")
    holder.expect("queued")

    killed_at = time.monotonic()
    holder.kill()
    got_it = waiter.expect("acquired", timeout=lease + 10)["at"]
    waiter.finish()

    # The holder refreshed its lease at most a quarter lease before it died, so the lease ran out between 3/4
    # and 1 lease after the kill; the margins allow for a late refresh and a slow poll on a busy machine.
    assert 0.5 * lease <= got_it - killed_at <= lease + 1.5, got_it - killed_at
    assert keys_left(pool, redis_url, prefix) == {}


def test_a_holder_longer_than_several_leases_keeps_the_lock(redis_url, prefix, pool, workers):
    lease, held = 0.5, 2.5  # five leases, with the holder's event loop blocked all along
    config = endpoint(redis_url, prefix, lease_seconds=lease)
    holder, waiter = holder_and_waiter(workers, config, str(held), "--block")
    queued = holder.expect("queued")["at"]
    released = holder.expect("released", timeout=held + 10)["at"]
    got_it = waiter.expect("acquired", timeout=10)["at"]
    holder.finish()
    waiter.finish()

    assert released - queued >= held
    assert released <= got_it <= released + 1.0  # the waiter's own ticket lived through the wait too
    assert keys_left(pool, redis_url, prefix) == {}


def test_a_conversation_abandoned_by_a_killed_holder_leaves_no_key_behind(redis_url, prefix, pool, workers):
    lease = 0.5
    [holder] = workers(1)
    start_together([holder], "hold", endpoint(redis_url, prefix, lease_seconds=lease), "conversation-1", "-1")
    holder.expect("acquired")

    left = keys_left(pool, redis_url, prefix)
    assert list(left) == [f"{prefix}:conversation-1"]
    assert 0 < left[f"{prefix}:conversation-1"] <= 2 * lease * 1000  # a TTL, never a key for ever
    holder.kill()

    deadline = time.monotonic() + 2 * lease + 5
    while keys_left(pool, redis_url, prefix):
        assert time.monotonic() < deadline, "the abandoned conversation's key outlived its TTL"
        time.sleep(0.05)  # the pace of the polling, not a wait for anything


def test_an_unreachable_redis_fails_the_turn_with_lock_error(workers):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
        config = json.dumps({"type": STORE_CLASS, "url": "127.0.0.1", "port": closed.getsockname()[1]})
        [turn] = workers(1)
        start_together([turn], "acquire", config, "conversation-1")
        error = turn.expect("lock_error")["message"]
        turn.finish()
    assert "conversation-1" in error and "Redis" in error
