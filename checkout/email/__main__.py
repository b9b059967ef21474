"""`python -m checkout.email`: the email sender process (`shop run` starts it when SMTP_URL is set)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from urllib.parse import quote

from checkout.db.database import Database
from checkout.email.configuration import email_configuration_error, from_header, marketing_email_error, smtp_server
from checkout.email.sender import EmailSender
from checkout.email.smtp_url import SmtpSecurity
from checkout.settings import load_settings

log = logging.getLogger("checkout.email")
REDACTED = "<redacted>"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class RedactingFormatter(logging.Formatter):
    """Every formatted line, tracebacks included, with the SMTP password replaced: whatever a library puts in an
    exception, the password does not reach the log."""

    def __init__(self, secrets: list[str], fmt: str) -> None:
        super().__init__(fmt)
        forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
        self._secrets = sorted(forms, key=len, reverse=True)

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
    root.setLevel(level.upper())


def main() -> None:
    settings = load_settings()
    problem = email_configuration_error(settings)
    server = None if problem else smtp_server(settings)
    configure_logging(settings.log_level, [server.password] if server else [])
    if server is None:
        log.error("cannot start the email sender: %s", problem)
        sys.exit(2)
    if server.security == SmtpSecurity.PLAIN and server.username and server.host not in LOOPBACK:
        log.warning("SMTP_URL logs in over plain smtp://: the password crosses the network unencrypted")
    marketing_problem = marketing_email_error(settings)
    if marketing_problem:
        log.warning("order emails only: campaign emails fail until this is fixed: %s", marketing_problem)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    db = Database(settings.database_url)
    log.info("email sender: sending through %s as %s", server.display, from_header(settings))
    try:
        EmailSender(db, settings, server).run(stop)
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
