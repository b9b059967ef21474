"""Logging for processes that hold a secret (the Telegram gateway's bot token, the email sender's SMTP password):
every formatted line, tracebacks included, has the secret's forms replaced, whatever a library put in it."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sys
from collections.abc import Iterable

REDACTED = "<redacted>"
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Chat ids in log lines are hashed with this process's own key: a plain hash of a Telegram id or a WhatsApp phone
# number is undone by hashing every 10-digit number. The same chat reads the same while the process lives.
_CHAT_KEY = secrets.token_bytes(32)


def chat_ref(chat_id: object) -> str:
    """A chat (Telegram chat id, WhatsApp number, web chat id) as a log line may name it: enough to follow one
    conversation through a process's log, never the id itself."""
    return hmac.new(_CHAT_KEY, str(chat_id).encode(), hashlib.sha256).hexdigest()[:10]


class RedactingFormatter(logging.Formatter):
    """Replaces each secret in every form `forms_of` gives (a subclass says which forms its secret leaks in)."""

    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        forms = {form for secret in secrets if secret for form in self.forms_of(secret)}
        self._secrets = sorted(forms, key=len, reverse=True)

    @staticmethod
    def forms_of(secret: str) -> Iterable[str]:
        return (secret,)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure_logging(
    level: str | int, secrets: Iterable[str], formatter: type[RedactingFormatter], quiet: Iterable[str] = ()
) -> None:
    """One stdout handler with the redacting formatter; the `quiet` loggers only from WARNING."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter(secrets, LINE_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
