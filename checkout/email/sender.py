"""The email sender: claims the outbox's email rows one at a time, sends each over SMTP, marks it sent or failed.

A row is claimed only once a connection to the server is open, so a server that is down costs no row an attempt;
a temporary refusal (4xx, a dropped connection) puts the row back for another try (up to
checkout.notifications.MAX_ATTEMPTS) and the sender backs off before the next round; a permanent one (5xx) fails
the row at once. Nothing here holds a database transaction while SMTP talks."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass

from sqlalchemy import select

from checkout.db.database import Database
from checkout.db.models import OutboxMessage
from checkout.email.compose import compose
from checkout.email.configuration import sender_address
from checkout.email.drafts import ClaimedEmail, NotSendable, draft_email
from checkout.email.kinds import EMAIL_CHANNEL
from checkout.email.smtp_transport import SendFailure, SmtpUnavailable, close, open_smtp, send
from checkout.email.smtp_url import SmtpServer
from checkout.notifications import claim_pending, mark_failed, mark_sent
from checkout.settings import Settings
from checkout.statuses import OutboxStatus

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
FIRST_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300.0
SMTP_TIMEOUT_SECONDS = 30.0
# Relays limit messages per connection; a fresh one now and then also spreads a campaign over time.
MESSAGES_PER_CONNECTION = 50


@dataclass
class EmailSender:
    db: Database
    settings: Settings
    server: SmtpServer
    ssl_context: ssl.SSLContext | None = None  # None: the system's trusted certificates
    timeout: float = SMTP_TIMEOUT_SECONDS
    poll_seconds: float = POLL_SECONDS
    first_backoff: float = FIRST_BACKOFF_SECONDS
    max_backoff: float = MAX_BACKOFF_SECONDS

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set. Any failure (the database away for a moment) is logged and retried with backoff."""
        backoff = 0.0
        while not stop.is_set():
            try:
                went_well = self.send_pending(stop)
            except Exception:
                log.exception("email round failed")
                went_well = False
            backoff = 0.0 if went_well else min(self.max_backoff, max(self.first_backoff, backoff * 2))
            stop.wait(backoff or self.poll_seconds)

    def send_pending(self, stop: threading.Event | None = None) -> bool:
        """Sends what is pending now, over one connection. False: a temporary failure; the caller backs off."""
        if not self._anything_pending():
            return True  # no connection is opened for nothing
        try:
            smtp = open_smtp(self.server, self.timeout, self.ssl_context)
        except SmtpUnavailable as exc:
            log.warning("email: %s; trying again later", exc)
            return False
        try:
            for _ in range(MESSAGES_PER_CONNECTION):
                if stop is not None and stop.is_set():
                    break
                row = self._claim_one()
                if row is None:
                    break
                if not self._deliver(smtp, row):
                    return False
            return True
        finally:
            close(smtp)

    def _deliver(self, smtp: smtplib.SMTP, row: ClaimedEmail) -> bool:
        """Sends one claimed row and records the outcome. False: stop this round (a temporary failure)."""
        try:
            with self.db.reading() as session:
                draft = draft_email(session, self.settings, row)
            message = compose(self.settings, draft)
        except NotSendable as exc:
            log.info("email %s (%s) not sent: %s", row.id, row.kind, exc)
            self._fail(row.id, str(exc), permanent=True)
            return True
        except Exception as exc:  # a template's bug: tried again (failed after MAX_ATTEMPTS), never left claimed
            log.exception("email %s (%s) could not be written", row.id, row.kind)
            self._fail(row.id, f"could not be written: {type(exc).__name__}: {exc}", permanent=False)
            return False
        try:
            send(smtp, message, sender_address(self.settings) or "", draft.recipient)
        except SendFailure as exc:
            log.warning("email %s (%s) %s: %s", row.id, row.kind, "failed" if exc.permanent else "not sent yet", exc)
            self._fail(row.id, str(exc), exc.permanent)
            return exc.permanent
        with self.db.transaction() as session:
            mark_sent(session, row.id, str(message["Message-ID"])[:100])
        log.info("email %s (%s) sent", row.id, row.kind)
        return True

    def _anything_pending(self) -> bool:
        with self.db.reading() as session:
            return (
                session.scalar(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.channel == EMAIL_CHANNEL, OutboxMessage.status == OutboxStatus.PENDING)
                    .limit(1)
                )
                is not None
            )

    def _claim_one(self) -> ClaimedEmail | None:
        """One row at a time: a row waiting in a claimed batch would hold an attempt while others are sent."""
        with self.db.transaction() as session:
            claimed = claim_pending(session, (EMAIL_CHANNEL,), limit=1)
            if not claimed:
                return None
            m = claimed[0]
            return ClaimedEmail(
                m.id, m.kind, m.recipient, m.customer_id, m.order_id, m.campaign_id, m.subject, m.text, m.image_url
            )

    def _fail(self, message_id: int, error: str, permanent: bool) -> None:
        with self.db.transaction() as session:
            mark_failed(session, message_id, error, permanent)
