"""Drives the Redis lock store from its own process, as one Rasa server would: run with .venv-rasa's Python by
tests/integration/test_redis_ticket_lock.py, several at once.

The store is built the way Rasa builds it, `LockStore.create(EndpointConfig)` from the endpoints.yml mapping given
as JSON. Every line printed is one JSON event; times are `time.monotonic()`, one clock for every process on the
machine. Commands that take part in a race print `ready`, then wait for `go` on stdin so that they all start
together, whatever each one's start-up took.

`serve` imports Rasa once (most of a start-up), prints `idle`, then runs one command per line of stdin (a JSON
list of arguments) and prints `idle` again after each: the tests keep a few such processes warm and reuse them.
Each command builds its own store and event loop, as a freshly started server would.

    python tests/redis_lock_driver.py ping URL
    python tests/redis_lock_driver.py keys URL PATTERN          # {key: milliseconds to live, -1 for none}
    python tests/redis_lock_driver.py get URL KEY
    python tests/redis_lock_driver.py clean URL PATTERN
    python tests/redis_lock_driver.py tickets ENDPOINT CONVERSATION COUNT
    python tests/redis_lock_driver.py sections ENDPOINT CONVERSATION COUNT TASKS URL COUNTER_KEY
    python tests/redis_lock_driver.py hold ENDPOINT CONVERSATION SECONDS [--block]   # SECONDS < 0: until killed
    python tests/redis_lock_driver.py acquire ENDPOINT CONVERSATION
    python tests/redis_lock_driver.py serve [--redis-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

UNREACHABLE = 3  # exit status of `ping` when Redis does not answer


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def wait_for_go() -> None:
    emit("ready")
    if sys.stdin.readline().strip() != "go":
        sys.exit("expected 'go' on stdin")


def lock_store(endpoint: str) -> Any:
    # Imported here: the commands that only look at Redis start in a fraction of Rasa's import time.
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    return LockStore.create(EndpointConfig.from_dict(json.loads(endpoint)))


def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=5)


def ping(args: argparse.Namespace) -> None:
    import redis

    try:
        redis_client(args.url).ping()
    except redis.RedisError as error:
        print(f"{args.url}: {error}", file=sys.stderr)
        sys.exit(UNREACHABLE)
    emit("pong")


def keys(args: argparse.Namespace) -> None:
    client = redis_client(args.url)
    found = {key.decode(): client.pttl(key) for key in client.scan_iter(match=args.pattern)}
    emit("keys", keys=found)


def get(args: argparse.Namespace) -> None:
    value = redis_client(args.url).get(args.key)
    emit("value", value=None if value is None else value.decode())


def clean(args: argparse.Namespace) -> None:
    client = redis_client(args.url)
    for key in list(client.scan_iter(match=args.pattern)):
        client.delete(key)
    emit("cleaned")


def tickets(args: argparse.Namespace) -> None:
    """Takes COUNT tickets one after the other, finishing each at once: the key is deleted whenever no other
    process holds a ticket, so the counter restarts too, and numbers must still never repeat."""
    store = lock_store(args.endpoint)
    wait_for_go()
    numbers = []
    for _ in range(args.count):
        number = store.issue_ticket(args.conversation, 30)
        numbers.append(number)
        store.cleanup(args.conversation, number)
    emit("tickets", tickets=numbers)


def sections(args: argparse.Namespace) -> None:
    """TASKS concurrent tasks (several requests on one server) each run COUNT critical sections that increment a
    counter the non-atomic way: GET, a pause, SET. Only mutual exclusion keeps every increment."""
    import redis.asyncio

    store = lock_store(args.endpoint)
    wait_for_go()

    async def run() -> list[tuple[float, float]]:
        counter = redis.asyncio.Redis.from_url(args.url)
        spans: list[tuple[float, float]] = []

        async def task() -> None:
            for _ in range(args.count):
                async with store.lock(args.conversation):
                    entered = time.monotonic()
                    value = int(await counter.get(args.counter_key) or 0)
                    await asyncio.sleep(0.002)
                    await counter.set(args.counter_key, value + 1)
                    spans.append((entered, time.monotonic()))

        await asyncio.gather(*(task() for _ in range(args.tasks)))
        await counter.close()
        return spans

    emit("sections", spans=asyncio.run(run()))


def hold(args: argparse.Namespace) -> None:
    """Takes the lock, says `queued` once another ticket waits behind it, then holds it SECONDS more: awaiting,
    or with --block, blocking the event loop as Rasa's synchronous model graph does."""
    store = lock_store(args.endpoint)
    wait_for_go()

    async def run() -> None:
        async with store.lock(args.conversation):
            emit("acquired", at=time.monotonic())
            give_up_at = time.monotonic() + 30
            while len(getattr(store.get_lock(args.conversation), "tickets", ())) < 2:
                if time.monotonic() > give_up_at:
                    sys.exit("nobody queued behind the holder within 30 s")
                await asyncio.sleep(0.01)
            emit("queued", at=time.monotonic())
            if args.seconds < 0:
                await asyncio.Event().wait()  # until killed
            elif args.block:
                time.sleep(args.seconds)
            else:
                await asyncio.sleep(args.seconds)
            emit("released", at=time.monotonic())

    asyncio.run(run())


def acquire(args: argparse.Namespace) -> None:
    from rasa.core.lock_store import LockError

    store = lock_store(args.endpoint)
    wait_for_go()

    async def run() -> None:
        async with store.lock(args.conversation):
            emit("acquired", at=time.monotonic())

    try:
        asyncio.run(run())
    except LockError as error:
        emit("lock_error", message=str(error))


def serve(args: argparse.Namespace) -> None:
    if not args.redis_only:  # a worker for `keys`, `get` and `clean` needs no Rasa
        import redis_ticket_lock  # noqa: F401  (imports Rasa's lock store: most of a command's start-up)

    emit("idle")
    for line in sys.stdin:
        run_command(json.loads(line))
        emit("idle")


def run_command(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler, arguments in [
        ("ping", ping, ["url"]),
        ("keys", keys, ["url", "pattern"]),
        ("get", get, ["url", "key"]),
        ("clean", clean, ["url", "pattern"]),
        ("tickets", tickets, ["endpoint", "conversation", "count:int"]),
        ("sections", sections, ["endpoint", "conversation", "count:int", "tasks:int", "url", "counter_key"]),
        ("hold", hold, ["endpoint", "conversation", "seconds:float"]),
        ("acquire", acquire, ["endpoint", "conversation"]),
        ("serve", serve, []),
    ]:
        command = commands.add_parser(name)
        command.set_defaults(handler=handler)
        for argument in arguments:
            argument_name, _, kind = argument.partition(":")
            command.add_argument(argument_name, type={"int": int, "float": float}.get(kind, str))
        if name == "hold":
            command.add_argument("--block", action="store_true")
        if name == "serve":
            command.add_argument("--redis-only", action="store_true")
    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    run_command(sys.argv[1:])
