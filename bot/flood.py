"""Flood control per chat for the gateways: past SHOP_CHAT_LIMIT_PER_CONVERSATION a message never reaches Rasa.

The first message refused is answered "slow down" (bot/texts.py); later ones are dropped without a word until the
limit's period has passed, so the shopper is told once per period (once a minute at "20/minute") rather than once
per message, which would flood the chat back. Counted with the `limits` library, as the web chat's Flask-Limiter
counts (checkout/flood_limits.py): in memory, or on Redis when REDIS_URL is set, so a chat's count holds across
gateway processes. A message refused was not accepted: it is not recorded and nothing is done with it. One that
was accepted is answered, whatever comes after it.

The calls block (Redis): gateways call `admit` in a worker thread.
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum

from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import STRATEGIES, RateLimiter

from checkout import flood_limits
from checkout.settings import Settings

log = logging.getLogger(__name__)

# Redis down: counted in memory for this long before Redis is asked again (each try may cost its timeout).
FALLBACK_SECONDS = 30.0


class Verdict(StrEnum):
    ACCEPTED = "accepted"  # within the limit: on to Rasa
    TELL = "tell"  # the first refused in this period: answer "slow down"
    DROP = "drop"  # refused, and the shopper was already told


class FloodGate:
    def __init__(self, per_chat: str, channel: str, redis_url: str = ""):
        self.rate = flood_limits.parse_rate(per_chat)
        # One "slow down" per period of the limit: a 1-per-period limit of its own, in the same storage.
        self.notice = type(self.rate)(1, self.rate.multiples)
        self.channel = channel
        strategy = STRATEGIES[flood_limits.STRATEGY]
        storage = storage_from_string(
            flood_limits.storage_uri(redis_url), wrap_exceptions=True, **flood_limits.storage_options(redis_url)
        )
        self._limiter: RateLimiter = strategy(storage)
        self._fallback: RateLimiter = strategy(MemoryStorage()) if redis_url else self._limiter
        self._fallback_until = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, channel: str) -> FloodGate:
        return cls(settings.shop_chat_limit_per_conversation, channel, settings.redis_url)

    def admit(self, chat_id: str) -> Verdict:
        """Counts one message of this chat; what to do with it."""
        if self._hit(self.rate, "chat", chat_id):
            return Verdict.ACCEPTED
        return Verdict.TELL if self._hit(self.notice, "notice", chat_id) else Verdict.DROP

    def _hit(self, rate: RateLimitItem, kind: str, chat_id: str) -> bool:
        key = (flood_limits.KEY_PREFIX, self.channel, kind, chat_id)
        if time.monotonic() >= self._fallback_until:
            try:
                return self._limiter.hit(rate, *key)
            except StorageError as exc:  # the chat goes on, limited per process, rather than failing
                log.warning("flood limits: Redis unreachable (%s); counting in memory for %ss", exc, FALLBACK_SECONDS)
                self._fallback_until = time.monotonic() + FALLBACK_SECONDS
        return self._fallback.hit(rate, *key)
