"""Rasa's SQL tracker store with its per-turn statements in SQLAlchemy Core instead of ORM objects.

Rasa loads a conversation on every turn and saves it at the end. Its SQLTrackerStore builds an ORM object per
stored event to load them, counts the stored events with an ORM query and inserts the new ones through the ORM's
unit of work. This does the same reads and writes as plain statements: the same table (created by Rasa's own
model), the same rows column for column, the same trackers; records of ours follow that table
(checkout/records/sql_source.py), forgetting edits it (checkout/records/rasa_stores.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from .action_replies import check_action_replies_with_a_compiled_schema


class LeanSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statements = Statements(self.SQLEvent.__table__)
        # Rasa has no setting for how it checks action replies; this class is what each of our Rasa servers builds
        # from endpoints.yml at start-up, before any turn.
        check_action_replies_with_a_compiled_schema()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        query = self.statements.all_sessions if fetch_events_from_all_sessions else self.statements.latest_session
        with self.session_scope() as session:
            serialised = session.execute(query, {"sender_id": sender_id}).scalars().all()
        events = [json.loads(data) for data in serialised]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._publish_confirmed(tracker)
        with self.session_scope() as session:
            count = session.execute(self.statements.stored_in_latest_session, {"sender_id": tracker.sender_id})
            # As Rasa's _additional_events: the tracker's events past as many as the latest session has stored.
            new_events = itertools.islice(tracker.events, count.scalar_one(), None)
            rows = [_row(tracker.sender_id, event) for event in new_events]
            if rows:
                session.execute(self.statements.insert, rows)
            session.commit()

    async def _publish_confirmed(self, tracker: DialogueStateTracker) -> None:
        """Publishes the turn's new events and, with RabbitMQ, waits for the broker to confirm them before the turn
        is saved. Rasa's Pika broker publishes from background tasks that run after the save: a server killed
        between the two would leave a saved turn that the records never get, and the shopper's client, finding the
        turn saved, would not send it again. In this order a turn RabbitMQ accepted is published when it is saved;
        one published and not saved is sent again by the client, and the records consumer keeps it once
        (checkout/records/reruns.py). A publish RabbitMQ refuses is kept by Rasa's broker and sent again when it
        reconnects (the turn is not held up by a broker outage): only a server dying before that loses it."""
        pending = getattr(self.event_broker, "_background_tasks", None)
        before = set(pending) if pending is not None else set()
        await self.stream_events(tracker)
        if pending:
            await asyncio.gather(*(set(pending) - before))


class Statements:
    """Rasa's SQLTrackerStore._event_query and its count as Core statements, built once: the sender's events
    (`sender_id` bound at execution), of its latest session (from its last `session_started`, or all of them when
    there is none) or of all sessions, in id order."""

    def __init__(self, table: sa.Table) -> None:
        sender: Any = sa.bindparam("sender_id")
        of_sender = table.c.sender_id == sender
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        latest_session = sa.or_(table.c.timestamp >= session_start, session_start.is_(None))
        self.all_sessions = sa.select(table.c.data).where(of_sender).order_by(table.c.id)
        self.latest_session = sa.select(table.c.data).where(of_sender, latest_session).order_by(table.c.id)
        stored = sa.select(table.c.id).where(of_sender, latest_session).subquery()
        self.stored_in_latest_session = sa.select(sa.func.count()).select_from(stored)
        self.insert = table.insert()


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """The row SQLTrackerStore.save writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }
