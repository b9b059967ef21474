"""Latency and throughput of full purchases over the REST channel, next to Rasa's own sample bot.

Starts its own stack (Rasa, action server, web app, records consumer) on free loopback ports with a fresh
SQLite database and the demo catalog (stock raised so that shoppers never run out), and beside it Rasa's
sample bot (`rasa init`'s moodbot, its model trained once per machine; see bench_sample_bot.py). For each N it
drives N concurrent simulated shoppers through full purchases and N simulated users through the moodbot's
stories, in rounds (ours, sample, sample, ours, ...), checks every reply, and prints our turns/s divided by the
sample bot's: absolute figures move with the load of this shared machine, a ratio measured in the same run much
less. The floor is a turn that runs no custom action: a greeting. After each round of ours it reports how far
the records consumer trails the conversation.

    .venv/bin/python scripts/benchmark.py --shoppers 1 20 --purchases 5 [--rounds 2]
        [--broker tracker-store|sql|rabbitmq] [--tracker-store lean|rasa]

With --rasa-instances 1 2, instead: the production layout (`shop run --rasa-instances N --action-instances 2` with
HAProxy, PostgreSQL, Redis and RabbitMQ; bench_layout.py) with 1, then 2 Rasa servers, at the largest N, and the
ratio of their turns/s.

With --during-training, each N is run twice: idle, then while a full training runs beside it as the trainer
runs one (`nice -n 10`, Rasa's component cache empty, so nothing is skipped), and the p95s are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
from bench_sample_bot import STORIES, running_sample_bot
from bench_stack import BROKERS, TRACKER_STORES, OurStack, our_stack

from checkout.assistant_client import SENDER_HEADER as SENDER
from checkout.settings import PROJECT_ROOT, load_settings
from cli.rasa_engine import rasa_environment, rasa_train_command
from cli.training import ensure_model

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
FLOOR, CHECKOUT, SAMPLE = "floor (greeting)", "checkout turns", "sample bot turns"
Turn = tuple[str, str, str]  # message, what a correct reply contains, which latencies it counts in
OUR_CONVERSATION: list[Turn] = [("hi", "Welcome", FLOOR), *((text, expect, CHECKOUT) for text, expect in PURCHASE)]


def our_conversations(user: int, purchases: int) -> list[list[Turn]]:
    return [OUR_CONVERSATION] * purchases


def sample_conversations(user: int, purchases: int) -> list[list[Turn]]:
    """The moodbot's stories in turn, about as many turns as a shopper's purchases (its stories are short)."""
    count = round(purchases * len(OUR_CONVERSATION) / (sum(map(len, STORIES)) / len(STORIES)))
    return [[(text, expect, SAMPLE) for text, expect in STORIES[(user + i) % len(STORIES)]] for i in range(count)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Run:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.elapsed = 0.0

    @property
    def turns_per_second(self) -> float:
        return sum(map(len, self.latencies.values())) / self.elapsed

    def all_latencies(self) -> list[float]:
        return [latency for values in self.latencies.values() for latency in values]

    async def turn(self, client: httpx.AsyncClient, url: str, sender: str, turn: Turn) -> None:
        text, expect, bucket = turn
        started = time.perf_counter()
        try:
            # The header is what HAProxy keeps a conversation on one Rasa server by, as our clients send it.
            response = await client.post(url, json={"sender": sender, "message": text}, headers={SENDER: sender})
            reply = " ".join(m.get("text") or "" for m in response.json())
            if response.status_code != 200 or expect not in reply:
                self.errors.append(f"{text!r}: {response.status_code} {reply[:120]!r}")
        except (httpx.HTTPError, ValueError) as exc:
            self.errors.append(f"{text!r}: {exc!r}")
        self.latencies[bucket].append(time.perf_counter() - started)

    async def user(self, client: httpx.AsyncClient, url: str, conversations: list[list[Turn]]) -> None:
        for conversation in conversations:
            sender = "bench-" + uuid.uuid4().hex[:12]
            for turn in conversation:
                await self.turn(client, url, sender, turn)


def drive(url: str, users: int, purchases: int, conversations=our_conversations, run: Run | None = None) -> Run:
    """`users` concurrent users, each through its conversations one turn at a time, each conversation a new sender;
    the turns are added to `run` when one is given."""

    async def all_users(run: Run) -> Run:
        limits = httpx.Limits(max_connections=users + 5)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            started = time.perf_counter()
            await asyncio.gather(*(run.user(client, url, conversations(i, purchases)) for i in range(users)))
            run.elapsed += time.perf_counter() - started
        return run

    return asyncio.run(all_users(run or Run()))


def report(title: str, run: Run) -> None:
    turns, rate = sum(map(len, run.latencies.values())), run.turns_per_second
    ms = lambda v: f"{v * 1000:7.1f}"  # noqa: E731
    print(f"\n{title}: {turns} turns in {run.elapsed:.1f}s = {rate:.1f} turns/s, errors: {len(run.errors)}")
    print(f"  {'':18} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'turns':>6}")
    for name, values in run.latencies.items():
        median, p95, p99 = statistics.median(values), percentile(values, 95), percentile(values, 99)
        print(f"  {name:18} {ms(median)} {ms(p95)} {ms(p99)} {len(values):6d}")
    if FLOOR in run.latencies and CHECKOUT in run.latencies:
        ratio = percentile(run.latencies[CHECKOUT], 95) / percentile(run.latencies[FLOOR], 95)
        print(f"  checkout p95 / floor p95 = {ratio:.2f}")
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


def during_training(tmp: Path, stack: OurStack, n: int, purchases: int, idle: Run) -> None:
    training = start_training(tmp)
    try:
        wait_for_epochs(tmp / "training.log", training)
        busy = drive(stack.url, n, purchases)
        still_training = training.poll() is None
    finally:
        training.kill()
        training.wait()
    state = "still running at the end" if still_training else "ENDED EARLY: not comparable"
    report(f"N={n} while a training runs ({state})", busy)
    ratio = percentile(busy.all_latencies(), 95) / percentile(idle.all_latencies(), 95)
    print(f"  p95 of all turns while training / idle = {ratio:.2f} (bar: under 3)")


def compare(args: argparse.Namespace, stack: OurStack, sample_url: str, n: int) -> tuple[Run, Run]:
    """Our shop and the sample bot in turn, in rounds ordered ours, sample, sample, ours, ...: a change in the
    machine's load during the comparison weighs on both alike."""
    ours, sample = Run(), Run()
    phases = [(stack.url, our_conversations, ours), (sample_url, sample_conversations, sample)]
    for round_number in range(args.rounds):
        for url, conversations, run in phases if round_number % 2 == 0 else phases[::-1]:
            drive(url, n, args.purchases, conversations, run)
            if run is ours:
                stack.report_records_lag()
    return ours, sample


def measure(args: argparse.Namespace, tmp: Path, stack: OurStack, sample_url: str) -> None:
    drive(stack.url, 1, args.warmup)
    drive(sample_url, 1, args.warmup, sample_conversations)
    for n in args.shoppers:
        print(f"\nN={n}: our shop and the sample bot, {args.rounds} rounds...", flush=True)
        ours, sample = compare(args, stack, sample_url, n)
        report(f"N={n}, our shop ({args.broker})", ours)
        report(f"N={n}, Rasa's sample bot", sample)
        print(f"  ours / sample bot = {ours.turns_per_second / sample.turns_per_second:.2f} turns/s (bar at N=20: 0.8)")
        if args.during_training:
            during_training(tmp, stack, n, args.purchases, ours)


def compare_layouts(args: argparse.Namespace) -> int:
    """Our shop in the production layout with each number of Rasa servers, at the largest N of --shoppers."""
    from bench_layout import layout_runs

    n = max(args.shoppers)
    model = args.model or ensure_model(load_settings().model_cache_path)

    def measure_layout(url: str, servers: int) -> float:
        drive(url, 1, args.warmup)
        run = Run()
        for _ in range(args.rounds):
            drive(url, n, args.purchases, run=run)
        report(f"N={n}, {servers} Rasa server(s) behind HAProxy", run)
        return run.turns_per_second

    rates = layout_runs(args.rasa_instances, model, measure_layout)
    first = args.rasa_instances[0]
    for servers, rate in rates.items():
        print(f"  {servers} Rasa server(s): {rate:.1f} turns/s = {rate / rates[first]:.2f} x {first}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, nargs="+", default=[1, 20], help="concurrent shoppers, one run each")
    parser.add_argument("--purchases", type=int, default=5, help="full purchases per shopper and round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of our shop and the sample bot, in turn")
    parser.add_argument("--warmup", type=int, default=2, help="purchases before measuring (model warm-up)")
    parser.add_argument("--model", type=Path, help="a trained model (default: the one for the current data)")
    parser.add_argument("--broker", choices=BROKERS, default=BROKERS[0], help="how the records reach the consumer")
    parser.add_argument(
        "--tracker-store", choices=TRACKER_STORES, default="lean", help="ours (lean_rasa_turns) or Rasa's own"
    )
    parser.add_argument("--during-training", action="store_true", help="run each N again while a training runs")
    parser.add_argument(
        "--rasa-instances",
        type=int,
        nargs="+",
        help="instead: the production layout (HAProxy, PostgreSQL, Redis, RabbitMQ) with each number of Rasa servers",
    )
    args = parser.parse_args()
    if args.rasa_instances:
        return compare_layouts(args)

    tmp = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    with (
        (tmp / "stack.log").open("w") as log,
        our_stack(tmp, args.model, args.broker, args.tracker_store, log) as stack,
    ):
        print(f"Stack log: {tmp / 'stack.log'}; Rasa's tracker store: {stack.tracker_store}")
        with running_sample_bot(stack.settings.model_cache_path, tmp / "sample-bot", log) as sample_url:
            measure(args, tmp, stack, sample_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
