"""One chat's messages strictly in order, different chats at the same time.

One slow Rasa turn must not hold up every other shopper, and two messages of the same shopper must reach Rasa
in the order they were written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable


class ChatLocks:
    """A lock per chat, forgotten when nobody holds or waits for it (a shop talks to thousands of chats)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, chat: Hashable) -> AsyncIterator[None]:
        # Callers arrive in message order and asyncio.Lock wakes waiters first come, first served.
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._users[chat] = self._users.get(chat, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat] -= 1
            if not self._users[chat]:
                del self._users[chat], self._locks[chat]

    def busy(self, chat: Hashable) -> bool:
        return chat in self._users

    def __len__(self) -> int:
        return len(self._locks)
