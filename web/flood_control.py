"""Flood control for the web chat (Flask-Limiter): a shopper's message reaches Rasa, whose NLU is the costliest
thing on the machine, only within SHOP_CHAT_LIMIT_PER_CONVERSATION for this browser's conversation and
SHOP_CHAT_LIMIT_PER_ADDRESS for its client address (a new conversation costs only a cookie, so the address bounds a
script that drops its cookies). Past either, the answer is 429 with SLOW_DOWN and Rasa never sees the message.

Counted when the message is taken, after the CSRF check and before Rasa, atomically (moving window,
checkout/flood_limits.py): however many requests arrive at once, no more than the limit go through. A message
refused was never accepted: the page puts it back in the composer to send again. One already accepted is answered
whatever comes after it. The conversation is counted first (for limits of the same period, as by default), so
that a conversation past its own limit does not also use up the shoppers who share its address.
"""

from __future__ import annotations

import time

from flask import Flask, request
from flask_limiter import Limiter, RateLimitExceeded

from checkout import flood_limits
from web import chat

SLOW_DOWN = flood_limits.SLOW_DOWN
MESSAGE_VIEW = "chat.post_message"


def client_address() -> str:
    """The address the request came from (REMOTE_ADDR). X-Forwarded-For is not trusted: anyone can write it. Behind
    a reverse proxy, the WSGI server must set REMOTE_ADDR to the client's (waitress: --trusted-proxy)."""
    return "address:" + (request.remote_addr or "unknown")


def conversation() -> str:
    """This browser's conversation id from its signed session cookie (created here on its first message)."""
    return "conversation:" + chat.sender_id()


def init_app(app: Flask) -> None:
    """After the chat blueprint is registered: its message view is wrapped in the two limits."""
    settings = app.config["SETTINGS"]
    # One Limiter per app, not one at module level: Flask-Limiter keeps its storage on the extension object, so apps
    # sharing one (the tests make many) would all count in the last one's storage.
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=flood_limits.storage_uri(settings.redis_url),
        storage_options=flood_limits.storage_options(settings.redis_url),
        strategy=flood_limits.STRATEGY,
        key_prefix=flood_limits.KEY_PREFIX,
        # Redis down: each process counts in memory until it answers again, rather than the chat failing.
        in_memory_fallback_enabled=True,
    )
    per_conversation = limiter.limit(
        settings.shop_chat_limit_per_conversation, key_func=conversation, scope="conversation"
    )
    per_address = limiter.limit(settings.shop_chat_limit_per_address, key_func=client_address, scope="address")
    # The innermost decorator checks both, in the order they were added (for limits of the same period).
    app.view_functions[MESSAGE_VIEW] = per_address(per_conversation(chat.post_message))

    @app.errorhandler(RateLimitExceeded)
    def slow_down(error: RateLimitExceeded):
        breached = limiter.current_limit  # the limit that refused this message
        wait = max(1, breached.reset_at - int(time.time())) if breached else 60
        return {"error": SLOW_DOWN}, 429, {"Retry-After": str(wait)}  # when the window has room again
