"""Reading Rasa's events from RabbitMQ (Rasa's Pika event broker): acknowledged only after they are recorded."""

from __future__ import annotations

import json
import logging
import threading

import pika

from checkout.db.database import Database
from checkout.records.recorder import apply_event
from checkout.records.reruns import TurnReruns

log = logging.getLogger(__name__)
PREFETCH = 100


def consume_queue(
    db: Database, url: str, queue: str, stop: threading.Event, idle_seconds: float = 0.5, *, shop_secret: str
) -> None:
    """Until `stop` is set. A message is acknowledged after its transaction commits, so a crash in between
    redelivers it, and the recorder's event keys make the redelivery a no-op. One consumer per queue keeps
    each conversation in order."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    reruns = TurnReruns()
    try:
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True)  # the same declaration Rasa makes
        channel.basic_qos(prefetch_count=PREFETCH)
        for method, _properties, body in channel.consume(queue, inactivity_timeout=idle_seconds):
            if stop.is_set():
                break
            if method is None:
                continue
            try:
                event = json.loads(body)
            except ValueError:
                log.warning("queue message %s is not JSON; dropped", method.delivery_tag)
                channel.basic_ack(method.delivery_tag)
                continue
            try:
                with db.transaction() as session:
                    apply_event(session, event, shop_secret, reruns)
            except Exception:
                # Back to the queue, unacknowledged: nothing is lost while the database is unavailable.
                channel.basic_nack(method.delivery_tag, requeue=True)
                raise
            channel.basic_ack(method.delivery_tag)
        channel.cancel()
    finally:
        if connection.is_open:
            connection.close()
