"""The pace of campaign messages: at most 20 a second over all chats and one a second per chat.

Telegram allows a bot about 30 messages a second in all; campaigns take at most 20 of them so the shoppers who are
chatting keep the rest. Telegram counts a message when it arrives, somewhere between our start and its answer, so
the limits are kept from the answers: a message starts a full second after the one 20 messages before it was
answered, and a chat's next message a full second after its last one was answered. However long a request took,
no second at Telegram's end then holds more than 20. Starts are also spaced 1/20 s apart, so a campaign goes out
evenly rather than in bursts of 20.

One sender at a time: `delay()`, then send, calling `started()` before and `finished()` after (also when the send
failed: a refused request may still have counted).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

PER_SECOND = 20
CHAT_INTERVAL = 1.0


class CampaignPace:
    def __init__(
        self,
        per_second: int = PER_SECOND,
        chat_interval: float = CHAT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.per_second = per_second
        self.chat_interval = chat_interval
        self._clock = clock
        self._answered: deque[float] = deque(maxlen=per_second)  # when the latest `per_second` were answered
        self._last_start = -math.inf
        self._chats: dict[str, float] = {}  # chat -> when its latest message was answered, oldest first

    def delay(self, chat_id: str | None = None) -> float:
        """Seconds until the next campaign message may start (to `chat_id`, when given); 0 when it may now."""
        ready = self._last_start + 1 / self.per_second
        if len(self._answered) == self.per_second:
            ready = max(ready, self._answered[0] + 1.0)
        if chat_id is not None and chat_id in self._chats:
            ready = max(ready, self._chats[chat_id] + self.chat_interval)
        return max(0.0, ready - self._clock())

    def started(self) -> None:
        self._last_start = self._clock()

    def finished(self, chat_id: str) -> None:
        now = self._clock()
        self._answered.append(now)
        self._chats.pop(chat_id, None)  # re-inserted last, so the map stays ordered by time
        self._chats[chat_id] = now
        # Chats answered longer ago than the interval no longer hold anything back: forget them (a campaign
        # reaches thousands of chats once each).
        while self._chats:
            oldest = next(iter(self._chats))
            if self._chats[oldest] + self.chat_interval > now:
                break
            del self._chats[oldest]

    @property
    def chats_remembered(self) -> int:
        return len(self._chats)
