"""Logging for processes that hold a secret (the Telegram gateway's bot token, the email sender's SMTP password):
every formatted line, tracebacks included, has the secret's forms replaced, whatever a library put in it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "<redacted>"
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
