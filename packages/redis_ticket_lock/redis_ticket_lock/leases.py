"""Keeps this process's tickets alive while their turns wait or run.

A thread, not an asyncio task: Rasa 3.6 runs its model graph synchronously inside the event loop, and `PUT /model`
loads a whole model there, blocking the loop for seconds. A task would miss its refreshes for exactly as long, the
lease would lapse, and another server would take a conversation this one is still processing. The thread stops
only with the process, which is what a lease is meant to detect: a killed server frees its conversations within
one lease, a slow one keeps them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from .tickets import TicketBook

logger = logging.getLogger(__name__)


@dataclass(eq=False)  # identity, not value: the same ticket number may come back on another conversation
class Lease:
    key: str
    ticket: int
    # Set by the keeper's thread when Redis says the ticket had already lapsed; read by the turn that holds it.
    lost: bool = False


class LeaseKeeper:
    """Refreshes every kept lease every `interval` seconds, all in one round trip."""

    def __init__(self, book: TicketBook, lease_ms: int, interval: float) -> None:
        self._book = book
        self._lease_ms = lease_ms
        self._interval = interval
        self._leases: set[Lease] = set()
        self._mutex = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failing = False

    def keep(self, key: str, ticket: int) -> Lease:
        lease = Lease(key, ticket)
        with self._mutex:
            self._leases.add(lease)
            # Started on first use, and again in a forked child (Sanic workers), where the parent's thread is gone.
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="redis-ticket-lock-leases", daemon=True)
                self._thread.start()
        return lease

    def release(self, lease: Lease) -> None:
        """Stops refreshing `lease`; after this its `lost` flag no longer changes."""
        with self._mutex:
            self._leases.discard(lease)

    def _run(self) -> None:
        # A daemon thread: it ends with the process, which is the point.
        while True:
            time.sleep(self._interval)
            self.refresh_all()

    def refresh_all(self) -> None:
        with self._mutex:
            leases = list(self._leases)
        if not leases:
            return
        try:
            extended = self._book.refresh([(lease.key, lease.ticket) for lease in leases], self._lease_ms)
        except Exception as error:  # a Redis error must not end the thread; the next round retries
            if not self._failing:
                logger.warning("Could not refresh the ticket leases on Redis (retrying): %s", error)
            self._failing = True
            return
        if self._failing:
            logger.info("Refreshing the ticket leases on Redis again.")
            self._failing = False
        with self._mutex:
            for lease, alive in zip(leases, extended, strict=True):
                # A lease released meanwhile is finished, not lost (its ticket was removed on purpose).
                if not alive and lease in self._leases:
                    lease.lost = True
                    self._leases.discard(lease)
