"""Logging for the gateway: the bot token and webhook secret never reach a log line.

httpx logs every request URL at INFO, and Bot API URLs contain the token (PTB logs them too, at DEBUG), so
those loggers are turned down and every formatted line, tracebacks included, has the secrets replaced.
"""

from __future__ import annotations

from collections.abc import Iterable

from checkout import log_redaction
from checkout.log_redaction import REDACTED

__all__ = ["REDACTED", "RedactingFormatter", "configure_logging"]
NOISY_LOGGERS = ("httpx", "httpcore")


class RedactingFormatter(log_redaction.RedactingFormatter):
    @staticmethod
    def forms_of(secret: str) -> Iterable[str]:
        # The token is "<bot id>:<secret part>"; the secret part alone must not leak either.
        return [s for s in (secret, secret.partition(":")[2]) if len(s) >= 8]


def configure_logging(level: str, secrets: list[str]) -> None:
    log_redaction.configure_logging(level, secrets, RedactingFormatter, quiet=NOISY_LOGGERS)
