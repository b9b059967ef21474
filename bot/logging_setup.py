"""Logging for the gateway: the bot token and webhook secret never reach a log line.

httpx logs every request URL at INFO, and Bot API URLs contain the token (PTB logs them too, at DEBUG), so
those loggers are turned down and every formatted line, tracebacks included, has the secrets replaced.
"""

from __future__ import annotations

import logging
import sys

REDACTED = "<redacted>"
NOISY_LOGGERS = ("httpx", "httpcore")


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: list[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        # The token is "<bot id>:<secret part>"; the secret part alone must not leak either.
        parts = {s for secret in secrets if secret for s in (secret, secret.partition(":")[2]) if len(s) >= 8}
        self._secrets = sorted(parts, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(RedactingFormatter(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
