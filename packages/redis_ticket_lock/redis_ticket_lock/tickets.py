"""The ticket operations on Redis, each one script call: the only module that talks to Redis.

Two flavours over the same scripts. `AsyncTicketBook` serves `lock()`, so waiting for a turn never blocks
Rasa's event loop. `TicketBook` serves the lease keeper's thread and Rasa's synchronous primitive methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import scripts

NOT_SERVING = -1  # what SERVING answers when no live ticket is left


@dataclass(frozen=True)
class Turn:
    """Who is served now on a conversation, and whether the asking ticket is still live."""

    serving: int | None
    mine_alive: bool


def conversation_key(key_prefix: str, conversation_id: str) -> str:
    return f"{key_prefix}:{conversation_id}"


def _key_ttl_ms(lease_ms: int) -> int:
    # The hash outlives its longest lease: each issue and refresh pushes it to twice the lease, so a live ticket
    # never loses its key, and a hash abandoned by a killed server is gone two leases after its last refresh.
    return 2 * lease_ms


def _issue_args(lease_ms: int) -> list[int]:
    return [lease_ms, _key_ttl_ms(lease_ms)]


def _refresh_args(ticket: int, lease_ms: int) -> list[int]:
    return [ticket, lease_ms, _key_ttl_ms(lease_ms)]


def _issued(reply: Sequence[Any]) -> tuple[int, int]:
    return int(reply[0]), int(reply[1])


def _turn(reply: Sequence[Any]) -> Turn:
    serving = int(reply[0])
    return Turn(serving=None if serving == NOT_SERVING else serving, mine_alive=bool(int(reply[1])))


def _ticket_arg(ticket: int | None) -> str:
    return "" if ticket is None else str(ticket)


def _live(reply: Sequence[Any]) -> tuple[int, dict[int, int]]:
    values = [int(value) for value in reply]
    return values[0], dict(zip(values[1::2], values[2::2], strict=True))


class TicketBook:
    """Ticket operations over a synchronous `redis.Redis` (thread-safe: it takes a pooled connection per call)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._issue = client.register_script(scripts.ISSUE)
        self._serving = client.register_script(scripts.SERVING)
        self._refresh = client.register_script(scripts.REFRESH)
        self._finish = client.register_script(scripts.FINISH)
        self._live = client.register_script(scripts.LIVE)

    def issue(self, key: str, lease_ms: int) -> tuple[int, int]:
        """A new ticket and the ticket served now (the new one itself when nobody else holds or waits)."""
        return _issued(self._issue(keys=[key], args=_issue_args(lease_ms)))

    def turn(self, key: str, ticket: int | None = None) -> Turn:
        """Drops lapsed tickets and says who is served now."""
        return _turn(self._serving(keys=[key], args=[_ticket_arg(ticket)]))

    def refresh(self, tickets: Sequence[tuple[str, int]], lease_ms: int) -> list[bool]:
        """Extends the leases of (key, ticket) pairs in one round trip; False for a ticket that had lapsed."""
        pipeline = self._client.pipeline(transaction=False)
        for key, ticket in tickets:
            self._refresh(keys=[key], args=_refresh_args(ticket, lease_ms), client=pipeline)
        return [bool(int(extended)) for extended in pipeline.execute()]

    def finish(self, key: str, ticket: int) -> bool:
        return bool(int(self._finish(keys=[key], args=[ticket])))

    def live(self, key: str) -> tuple[int, dict[int, int]]:
        """Redis's clock in ms, and the live tickets with their expiry in ms on that clock."""
        return _live(self._live(keys=[key]))

    def forget(self, key: str) -> None:
        self._client.delete(key)


class AsyncTicketBook:
    """The operations `lock()` needs, over a `redis.asyncio.Redis` bound to one event loop."""

    def __init__(self, client: Any) -> None:
        self._issue = client.register_script(scripts.ISSUE)
        self._serving = client.register_script(scripts.SERVING)
        self._finish = client.register_script(scripts.FINISH)

    async def issue(self, key: str, lease_ms: int) -> tuple[int, int]:
        return _issued(await self._issue(keys=[key], args=_issue_args(lease_ms)))

    async def turn(self, key: str, ticket: int) -> Turn:
        return _turn(await self._serving(keys=[key], args=[_ticket_arg(ticket)]))

    async def finish(self, key: str, ticket: int) -> bool:
        return bool(int(await self._finish(keys=[key], args=[ticket])))
