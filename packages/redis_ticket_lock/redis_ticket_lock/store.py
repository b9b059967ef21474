"""`AtomicRedisLockStore`: Rasa's `LockStore` interface over the atomic ticket operations of `tickets`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

import redis
import redis.asyncio
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

from .leases import Lease, LeaseKeeper
from .settings import LockSettings
from .tickets import AsyncTicketBook, TicketBook, conversation_key

logger = logging.getLogger(__name__)


class AtomicRedisLockStore(LockStore):
    """A ticket lock on Redis that several Rasa servers can share (endpoints.yml: `type: <module>.<class>`).

    Rasa's `RedisLockStore` reads a whole lock, adds a ticket and writes it back, so two servers can draw the same
    ticket and process one conversation at once (RasaHQ/rasa#9213). Here every change is one Lua script, and
    every method Rasa's base class uses is overridden, so none of its read-modify-write paths can run.

    A ticket taken by `lock()` is a lease of `lease_seconds`, refreshed by this process while the turn waits or
    runs: a killed server frees its conversations within one lease, a long turn keeps its own.
    """

    def __init__(self, endpoint_config: Any = None) -> None:
        super().__init__()
        self.settings = LockSettings.from_endpoint_config(endpoint_config)
        # No connection is opened here (redis-py connects on first use): Rasa may start before Redis does, and a
        # Redis that cannot be reached fails the turns that need it with LockError rather than the server start.
        self._book = TicketBook(redis.Redis(**self.settings.redis_options()))
        self._leases = LeaseKeeper(self._book, self.settings.lease_ms, self.settings.refresh_seconds)
        # redis.asyncio connections belong to the event loop that opened them: one client per loop.
        self._async_books: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncTicketBook] = (
            weakref.WeakKeyDictionary()
        )

    def _key(self, conversation_id: str) -> str:
        return conversation_key(self.settings.key_prefix, conversation_id)

    def _async_book(self) -> AsyncTicketBook:
        loop = asyncio.get_running_loop()
        book = self._async_books.get(loop)
        if book is None:
            book = AsyncTicketBook(redis.asyncio.Redis(**self.settings.redis_options()))
            self._async_books[loop] = book
        return book

    # The context manager every Rasa caller uses (agent, processor, server).

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncIterator[TicketLock]:
        """Holds the conversation's turn for the body of `async with`.

        Raises `LockError` when Redis cannot be reached, or when the turn has not come within `lock_lifetime`
        seconds (Rasa's ticket lifetime, `TICKET_LOCK_LIFETIME`, 60 s by default): Rasa's own store gives up
        after that long as well, when the waiting ticket expires. Waiting is polled every `poll_seconds` unless
        the caller passes `wait_time_in_seconds`.
        """
        book = self._async_book()
        key = self._key(conversation_id)
        with _redis_errors(conversation_id, "take a ticket"):
            ticket, serving = await book.issue(key, self.settings.lease_ms)
        # If this task is cancelled between the script and here, the ticket is not refreshed and lapses in a lease.
        lease = self._leases.keep(key, ticket)
        served = False
        try:
            if serving != ticket:
                poll = wait_time_in_seconds or self.settings.poll_seconds
                await self._wait_for_turn(book, conversation_id, lease, lock_lifetime, poll)
            served = True
            yield _held_lock(conversation_id, ticket, self.settings.lease_seconds)
        finally:
            self._leases.release(lease)
            # Read before FINISH removes the ticket, so a refresh racing with it cannot be mistaken for a loss.
            if served and lease.lost:
                logger.error(
                    "The lease on conversation '%s' lapsed while its turn ran (Redis unreachable, or this process "
                    "stalled, for over %s s): another server may have processed it at the same time.",
                    conversation_id,
                    self.settings.lease_seconds,
                )
            # Shielded: a request cancelled here (the caller hung up) still hands the turn on at once.
            await asyncio.shield(_finish(book, key, ticket, conversation_id))

    async def _wait_for_turn(
        self, book: AsyncTicketBook, conversation_id: str, lease: Lease, lock_lifetime: float, poll: float
    ) -> None:
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + lock_lifetime
        while True:
            await asyncio.sleep(poll)
            with _redis_errors(conversation_id, "wait for its turn"):
                turn = await book.turn(lease.key, lease.ticket)
            if turn.serving == lease.ticket:
                return
            if lease.lost or not turn.mine_alive:
                raise LockError(
                    f"The ticket for conversation '{conversation_id}' lapsed while it waited: this process could "
                    f"not refresh it on Redis for {self.settings.lease_seconds} s."
                )
            if loop.time() >= give_up_at:
                raise LockError(
                    f"Could not acquire lock for conversation_id '{conversation_id}' within {lock_lifetime} s."
                )

    # Rasa's primitive methods, each one atomic script. Rasa itself only calls `lock()`; these keep the base
    # class's non-atomic versions from ever running, for anything else that calls them.

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A ticket that lives `lock_lifetime` seconds unless finished first; nothing refreshes it."""
        with _redis_errors(conversation_id, "take a ticket"):
            ticket, _ = self._book.issue(self._key(conversation_id), max(1, round(lock_lifetime * 1000)))
        return ticket

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """A snapshot of the live tickets (lapsed ones are dropped first)."""
        with _redis_errors(conversation_id, "read the lock"):
            redis_now_ms, tickets = self._book.live(self._key(conversation_id))
        if not tickets:
            return None
        # TicketLock compares expiries with this machine's time.time(): carry each ticket's remaining lease over.
        local_now = time.time()
        return TicketLock(
            conversation_id,
            deque(
                Ticket(number, local_now + (expires_ms - redis_now_ms) / 1000)
                for number, expires_ms in sorted(tickets.items())
            ),
        )

    def save_lock(self, lock: TicketLock) -> None:
        # Writing back a lock read earlier is the very race this store exists to avoid.
        raise LockError(
            "AtomicRedisLockStore does not save whole locks (a read-modify-write that loses tickets); "
            "use lock() or issue_ticket() / finish_serving()."
        )

    def delete_lock(self, conversation_id: str) -> None:
        """Forgets every ticket of the conversation; their holders find their turn lapsed."""
        with _redis_errors(conversation_id, "delete the lock"):
            self._book.forget(self._key(conversation_id))
        self._log_deletion(conversation_id, deletion_successful=True)

    def update_lock(self, conversation_id: str) -> None:
        """Drops the conversation's lapsed tickets."""
        with _redis_errors(conversation_id, "update the lock"):
            self._book.turn(self._key(conversation_id))

    def is_someone_waiting(self, conversation_id: str) -> bool:
        with _redis_errors(conversation_id, "read the lock"):
            return self._book.turn(self._key(conversation_id)).serving is not None

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        with _redis_errors(conversation_id, "finish its ticket"):
            self._book.finish(self._key(conversation_id), ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # FINISH also deletes the conversation's key when nobody else holds or waits, in the same script: the
        # base class's separate "anyone waiting?" then "delete" could delete a ticket issued in between.
        self.finish_serving(conversation_id, ticket_number)


@contextlib.contextmanager
def _redis_errors(conversation_id: str, doing: str) -> Iterator[None]:
    """Redis failures as Rasa's LockError, which is what Rasa's callers expect from a lock store."""
    try:
        yield
    except redis.RedisError as error:
        raise LockError(f"Could not {doing} for conversation '{conversation_id}' on Redis: {error}") from error


async def _finish(book: AsyncTicketBook, key: str, ticket: int, conversation_id: str) -> None:
    try:
        await book.finish(key, ticket)
    except redis.RedisError as error:
        # The turn itself went through; failing it now would only hide that. The lease lapses on its own.
        logger.warning(
            "Could not finish ticket %s of conversation '%s' on Redis (it lapses within its lease): %s",
            ticket,
            conversation_id,
            error,
        )


def _held_lock(conversation_id: str, ticket: int, lease_seconds: float) -> TicketLock:
    """What `lock()` yields, as Rasa's does: a TicketLock whose ticket is the one being served."""
    return TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lease_seconds)]))
