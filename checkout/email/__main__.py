"""`python -m checkout.email`: the email sender process (`shop run` starts it when SMTP_URL is set)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterable
from urllib.parse import quote

from checkout import log_redaction
from checkout.db.database import Database
from checkout.email.configuration import email_configuration_error, from_header, marketing_email_error, smtp_server
from checkout.email.sender import EmailSender
from checkout.email.smtp_url import SmtpSecurity
from checkout.settings import load_settings

log = logging.getLogger("checkout.email")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class RedactingFormatter(log_redaction.RedactingFormatter):
    @staticmethod
    def forms_of(secret: str) -> Iterable[str]:
        return (secret, quote(secret, safe=""))  # SMTP_URL holds the password URL-escaped


def main() -> None:
    settings = load_settings()
    problem = email_configuration_error(settings)
    server = None if problem else smtp_server(settings)
    log_redaction.configure_logging(settings.log_level, [server.password] if server else [], RedactingFormatter)
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
