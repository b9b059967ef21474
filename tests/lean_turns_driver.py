"""Runs packages/lean_rasa_turns next to Rasa's own code, in Rasa's environment: run with .venv-rasa's Python by
tests/integration/test_lean_rasa_turns.py. Prints one JSON object.

    python tests/lean_turns_driver.py stores STORE_KWARGS_JSON   # the same turns through both tracker stores
    python tests/lean_turns_driver.py replies                    # action replies checked by both ways
    python tests/lean_turns_driver.py publish STORE_KWARGS_JSON QUEUE  # what RabbitMQ holds when a save's commit fails
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

SLOTS_DOMAIN = {
    "version": "3.1",
    "intents": ["greet", "inform"],
    "slots": {"customer_name": {"type": "text", "mappings": [{"type": "custom"}]}},
    "responses": {"utter_greet": [{"text": "Hello"}]},
}


def turns() -> list[list[Any]]:
    """Two sessions of one conversation, each event with its own time (the rows and trackers are compared whole)."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    def said(text: str, intent: str, at: float) -> UserUttered:
        return UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=at, parse_data={"text": text})

    return [
        [ActionExecuted("action_session_start", timestamp=1), SessionStarted(timestamp=2)],
        [
            ActionExecuted("action_listen", timestamp=3),
            said("hi", "greet", 4),
            ActionExecuted("utter_greet", timestamp=5),
        ],
        [BotUttered("Hello", timestamp=6), SlotSet("customer_name", "Ana", timestamp=7)],
        [ActionExecuted("action_session_start", timestamp=20), SessionStarted(timestamp=21)],
        [SlotSet("customer_name", "Ana", timestamp=22), ActionExecuted("action_listen", timestamp=23)],
        [said("I am Ana", "inform", 24), ActionExecuted("action_listen", timestamp=25)],
    ]


async def conversation(store: Any) -> dict:
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
    from sqlalchemy import text

    for sender in ("s1", "s2"):
        for events in turns():
            tracker = await store.retrieve_full_tracker(sender) or DialogueStateTracker(sender, store.domain.slots)
            for event in events:
                tracker.update(event)
            await store.save(tracker)
    with store.engine.connect() as connection:
        rows = [list(row) for row in connection.execute(text("SELECT * FROM events ORDER BY id"))]
    latest, full = await store.retrieve("s1"), await store.retrieve_full_tracker("s1")
    return {
        "rows": rows,
        "latest": latest.current_state(EventVerbosity.ALL),
        "full": full.current_state(EventVerbosity.ALL),
        "nobody": await store.retrieve("nobody"),
        "keys": sorted(await store.keys()),
    }


def stores(store_kwargs: dict) -> dict:
    """Ours first, then Rasa's, each on the table empty: the same database, the table dropped in between."""
    from lean_rasa_turns import LeanSQLTrackerStore
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    domain = Domain.from_dict(SLOTS_DOMAIN)
    results = {}
    for name, store_class in (("lean", LeanSQLTrackerStore), ("rasa", SQLTrackerStore)):
        store = store_class(domain=domain, **store_kwargs)
        try:
            results[name] = asyncio.run(conversation(store))
        finally:
            SQLTrackerStore.Base.metadata.drop_all(store.engine)
            store.engine.dispose()
    return results


def replies() -> dict:
    """Good and bad replies through Rasa's own check and through ours; ours builds its validator once."""
    from jsonschema import ValidationError
    from lean_rasa_turns import action_replies, check_action_replies_with_a_compiled_schema
    from rasa.core.actions.action import RemoteAction

    good = {"events": [{"event": "slot", "name": "customer_name", "value": "Ana"}], "responses": [{"text": "Hi"}]}
    bad = {"events": [{"event": "slot", "name": "customer_name"}], "responses": "Hi"}
    action = RemoteAction("action_check", None)

    def outcome(reply: dict) -> Any:
        try:
            return action._validate_action_result(reply)
        except ValidationError as error:
            return {"error": error.message, "path": list(error.path)}

    rasa = [outcome(good), outcome(bad)]
    check_action_replies_with_a_compiled_schema()
    lean = [outcome(reply) for reply in [good, bad] * 50][:2]
    return {"rasa": rasa, "lean": lean, "validators_built": len(action_replies._validators)}


async def published_when_commit_fails(store_class: Any, store_kwargs: dict, queue: str) -> dict:
    """One turn saved by `store_class` with Rasa's RabbitMQ broker, its commit failing as when the server is killed
    there: how many of the turn's publishes were still unsent at the commit, and how many reached the queue."""
    import contextlib

    import aio_pika
    from rasa.core.brokers.pika import PikaEventBroker
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    # An exchange of its own: Rasa's default one fans out to every queue bound to it, a scale-out test's included.
    broker = PikaEventBroker("127.0.0.1", "guest", "guest", queues=[queue], exchange_name=f"{queue}_exchange")
    await broker.connect()
    store = store_class(domain=Domain.from_dict(SLOTS_DOMAIN), event_broker=broker, **store_kwargs)
    unsent_at_commit: list[int] = []
    scope = store.session_scope

    def killed_at_commit() -> None:
        unsent_at_commit.append(sum(not task.done() for task in broker._background_tasks))
        raise RuntimeError("killed before the commit")

    @contextlib.contextmanager
    def failing_scope():  # type: ignore[no-untyped-def]
        with scope() as session:
            session.commit = killed_at_commit
            yield session

    store.session_scope = failing_scope
    tracker = DialogueStateTracker("killed-turn", store.domain.slots)
    for event in (ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}), BotUttered("Hello")):
        tracker.update(event)
    with contextlib.suppress(RuntimeError):
        await store.save(tracker)
    await asyncio.gather(*broker._background_tasks)  # what the server would have sent had it lived
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    channel = await connection.channel()
    declared = await channel.declare_queue(queue, durable=True, passive=True)
    queued = declared.declaration_result.message_count
    await channel.queue_delete(queue)
    await channel.exchange_delete(f"{queue}_exchange")
    await connection.close()
    await broker.close()
    store.engine.dispose()
    return {"unsent_at_commit": unsent_at_commit, "queued": queued}


def publish(store_kwargs: dict, queue: str) -> dict:
    from lean_rasa_turns import LeanSQLTrackerStore
    from rasa.core.tracker_store import SQLTrackerStore

    return {
        name: asyncio.run(published_when_commit_fails(store_class, store_kwargs, f"{queue}_{name}"))
        for name, store_class in (("lean", LeanSQLTrackerStore), ("rasa", SQLTrackerStore))
    }


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "stores":
        result = stores(json.loads(sys.argv[2]))
    elif command == "publish":
        result = publish(json.loads(sys.argv[2]), sys.argv[3])
    else:
        result = replies()
    print(json.dumps(result, default=str))
