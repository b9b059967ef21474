"""Latency and throughput of full purchases over the REST channel, next to the floor of the same server.

Starts its own stack (Rasa, action server, web app) on free loopback ports with a fresh SQLite database
and the demo catalog (stock raised so that shoppers never run out), then for each N drives N concurrent
simulated shoppers through full purchases. The floor is a turn that runs no custom action: a greeting.
After each run it reports how far the records consumer trails the conversation.

    .venv/bin/python scripts/benchmark.py --shoppers 1 20 --purchases 5

With --during-training, each N is run twice: idle, then while a full training runs beside it as the trainer
runs one (`nice -n 10`, Rasa's component cache empty, so nothing is skipped), and the p95s are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from checkout.catalog.importer import import_catalog
from checkout.catalog.terms_file import publish_catalog_terms
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import Message
from checkout.settings import PROJECT_ROOT, load_settings
from cli.processes import Supervisor
from cli.rasa_engine import rasa_environment, rasa_train_command, write_endpoints
from cli.run_command import DEMO_CATALOG, process_specs
from cli.scenario_runner import free_port
from cli.training import ensure_model

GREETING = "hi"
PURCHASE = [  # (message, what a correct reply contains)
    ("do you have the black hoodie in M", "Heavyweight Hoodie"),
    ("i'll take 1", "Added 1"),
    ("checkout", "full name"),
    ("Marie Dupont", "phone"),
    ("+33 6 12 34 56 78", "address"),
    ("12 rue de la République, 69002 Lyon, France", "email"),
    ("/deny", "Shall I place the order?"),
    ("/affirm", "is placed"),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Run:
    def __init__(self) -> None:
        self.floor: list[float] = []
        self.checkout: list[float] = []
        self.errors: list[str] = []

    async def turn(
        self, client: httpx.AsyncClient, url: str, sender: str, text: str, expect: str, bucket: list
    ) -> None:
        started = time.perf_counter()
        try:
            response = await client.post(url, json={"sender": sender, "message": text})
            reply = " ".join(m.get("text") or "" for m in response.json())
            if response.status_code != 200 or expect not in reply:
                self.errors.append(f"{text!r}: {response.status_code} {reply[:120]!r}")
        except (httpx.HTTPError, ValueError) as exc:
            self.errors.append(f"{text!r}: {exc!r}")
        bucket.append(time.perf_counter() - started)

    async def shopper(self, client: httpx.AsyncClient, url: str, purchases: int) -> None:
        for _ in range(purchases):
            sender = "bench-" + uuid.uuid4().hex[:12]
            await self.turn(client, url, sender, GREETING, "Welcome", self.floor)
            for text, expect in PURCHASE:
                await self.turn(client, url, sender, text, expect, self.checkout)


async def drive(url: str, shoppers: int, purchases: int) -> tuple[Run, float]:
    run = Run()
    limits = httpx.Limits(max_connections=shoppers + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(run.shopper(client, url, purchases) for _ in range(shoppers)))
        elapsed = time.perf_counter() - started
    return run, elapsed


def report(n: int, run: Run, elapsed: float) -> None:
    turns = len(run.floor) + len(run.checkout)
    ms = lambda v: f"{v * 1000:7.1f}"  # noqa: E731
    print(f"\nN={n}: {turns} turns in {elapsed:.1f}s = {turns / elapsed:.1f} turns/s, errors: {len(run.errors)}")
    print(f"  {'':18} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'turns':>6}")
    for name, values in (("floor (greeting)", run.floor), ("checkout turns", run.checkout)):
        median, p95, p99 = statistics.median(values), percentile(values, 95), percentile(values, 99)
        print(f"  {name:18} {ms(median)} {ms(p95)} {ms(p99)} {len(values):6d}")
    print(f"  checkout p95 / floor p95 = {percentile(run.checkout, 95) / percentile(run.floor, 95):.2f}")
    for error in run.errors[:5]:
        print("  error:", error)


def start_training(tmp: Path) -> subprocess.Popen:
    """A full training of the project's model at the trainer's priority, into `tmp` (never the model cache)."""
    command = ["nice", "-n", "10", *rasa_train_command(tmp / "training-models", "bench-training")]
    env = {**rasa_environment(), "RASA_CACHE_DIRECTORY": str(tmp / "rasa-cache")}
    log = (tmp / "training.log").open("w")
    return subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_for_epochs(log: Path, training: subprocess.Popen, timeout: float = 600) -> None:
    """Until the classifier's epochs run: the heaviest stage, after minutes of lighter featurising."""
    deadline = time.monotonic() + timeout
    while "Epochs:" not in log.read_text(errors="replace"):
        if training.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the training ended or never reached its epochs: see {log}")
        time.sleep(0.5)


def report_records_lag(db: Database, events_db: Path, timeout: float = 120) -> None:
    """How long after the last reply the records consumer has every shopper message in the database: it
    follows Rasa's event broker, so it always trails the conversation a little."""
    done = time.perf_counter()
    with sqlite3.connect(events_db) as events:
        expected = sum(json.loads(data).get("event") == "user" for (data,) in events.execute("SELECT data FROM events"))
    recorded = 0
    while time.perf_counter() - done < timeout:
        with db.reading() as session:
            recorded = session.scalar(select(func.count(Message.id)).where(Message.direction == "in")) or 0
        if recorded >= expected:
            print(
                f"  records: all {recorded} shopper messages so far recorded "
                f"{time.perf_counter() - done:.2f} s after the last reply"
            )
            return
        time.sleep(0.05)
    print(f"  records: only {recorded} of {expected} shopper messages recorded after {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, nargs="+", default=[1, 20], help="concurrent shoppers, one run each")
    parser.add_argument("--purchases", type=int, default=5, help="full purchases per shopper")
    parser.add_argument("--warmup", type=int, default=2, help="purchases before measuring (model warm-up)")
    parser.add_argument("--model", type=Path, help="a trained model (default: the one for the current data)")
    parser.add_argument("--during-training", action="store_true", help="run each N again while a training runs")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    settings = load_settings(environ={}, env_file=tmp / "none").replace(
        database_url=f"sqlite:///{tmp / 'shop.db'}",
        rasa_tracker_url=f"sqlite:///{tmp / 'rasa.db'}",
        rasa_events_url=f"sqlite:///{tmp / 'rasa_events.db'}",
        shop_catalog_terms_file=str(tmp / "catalog_terms.json"),
        rasa_port=free_port(),
        action_server_port=free_port(),
        web_port=free_port(),
        shop_secret_key="bench",
        rasa_api_token="bench",
    )
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    catalog = DEMO_CATALOG.read_text().replace(",10,hoodies,", ",1000000,hoodies,")
    with db.transaction() as session:
        assert import_catalog(session, catalog.encode(), settings.shop_currency).ok
        publish_catalog_terms(session, Path(settings.shop_catalog_terms_file))
    model = args.model or ensure_model(settings.model_cache_path)
    log = (tmp / "stack.log").open("w")
    supervisor = Supervisor(
        process_specs(settings, model, write_endpoints(settings, tmp / "endpoints.yml")), out=log, cwd=str(PROJECT_ROOT)
    )
    supervisor.start()
    try:
        supervisor.wait_ready(timeout=300)
        url = f"{settings.rasa_url}/webhooks/rest/webhook"
        asyncio.run(drive(url, 1, args.warmup))
        print(f"Stack log: {tmp / 'stack.log'}")
        for n in args.shoppers:
            run, elapsed = asyncio.run(drive(url, n, args.purchases))
            report(n, run, elapsed)
            report_records_lag(db, tmp / "rasa_events.db")
            if args.during_training:
                training = start_training(tmp)
                try:
                    wait_for_epochs(tmp / "training.log", training)
                    busy, busy_elapsed = asyncio.run(drive(url, n, args.purchases))
                    still_training = training.poll() is None
                finally:
                    training.kill()
                    training.wait()
                state = "still running at the end" if still_training else "ENDED EARLY: not comparable"
                print(f"\nN={n} while a training runs ({state}):")
                report(n, busy, busy_elapsed)
                turns = run.floor + run.checkout
                busy_turns = busy.floor + busy.checkout
                ratio = percentile(busy_turns, 95) / percentile(turns, 95)
                print(f"  p95 of all turns while training / idle = {ratio:.2f} (bar: under 3)")
    finally:
        supervisor.stop()
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
