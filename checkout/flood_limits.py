"""What the web chat's flood control (web/flood_control.py, Flask-Limiter) and the gateways' (bot/flood.py, the
`limits` library it is built on) agree on: how a limit is written, how it is counted, and where.

A moving window: at most N messages in any period, so no burst of 2N across the turn of a fixed window, and a
message refused adds nothing (a shopper who keeps typing is let in again as soon as the window has room).
"""

from __future__ import annotations

from limits import RateLimitItem, parse_many

STRATEGY = "moving-window"
# In every key of ours (after the `limits` library's own prefix): Rasa's lock store may share the Redis database.
KEY_PREFIX = "shop-flood"
# A Redis that stops answering costs a message at most this long before its limiter falls back to memory.
REDIS_TIMEOUT_SECONDS = 1
# What a shopper past the limit is told, once per period, in every channel.
SLOW_DOWN = "You're sending messages faster than I can read them. Please wait a minute, then send your message again."


def parse_rate(text: str) -> RateLimitItem:
    """One rate such as "20/minute" or "60 per 2 minutes"; ValueError for anything else (several rates, none, 0)."""
    try:
        rates = parse_many(text.strip())
    except ValueError:
        rates = []
    if len(rates) != 1 or rates[0].amount < 1:
        raise ValueError("not one rate such as 20/minute (a number above 0 per second, minute, hour or day)")
    return rates[0]


def storage_uri(redis_url: str) -> str:
    """Redis when REDIS_URL is set, so that several processes (web processes, gateways) share the counts."""
    return redis_url or "memory://"


def storage_options(redis_url: str) -> dict[str, str | int]:
    """Bounds on each Redis call: without them a Redis that stops answering would hold the message for good."""
    if not redis_url:
        return {}
    return {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS}
