"""One SMTP session with the server of SMTP_URL (smtplib), and what its refusals mean for the outbox row.

Error texts name the server by `SmtpServer.display` and never include the password."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from checkout.email.smtp_url import SmtpSecurity, SmtpServer


class SmtpUnavailable(Exception):
    """The server could not be reached or refused us before any message: nothing was sent, try again later."""


class SendFailure(Exception):
    """The server did not take this message. `permanent`: it never will (a 5xx, e.g. no such mailbox); otherwise a
    later try may succeed (4xx, the connection dropped) and the sender stops the round and backs off."""

    def __init__(self, reason: str, permanent: bool):
        super().__init__(reason)
        self.permanent = permanent


def open_smtp(server: SmtpServer, timeout: float, context: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """Connected, secured as SMTP_URL says and logged in. Raises SmtpUnavailable."""
    context = context or ssl.create_default_context()
    smtp: smtplib.SMTP | None = None
    try:
        if server.security == SmtpSecurity.TLS:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        smtp.ehlo()
        if server.security == SmtpSecurity.STARTTLS:
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.username:
            smtp.login(server.username, server.password)
    except smtplib.SMTPAuthenticationError as exc:
        _close(smtp)
        raise SmtpUnavailable(
            f"{server.display} refused the login of {server.username!r}: {_reply(exc)} (check SMTP_URL)"
        ) from None
    except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, TLS failed, no STARTTLS offered
        _close(smtp)
        raise SmtpUnavailable(f"{server.display}: {_describe(exc)}") from None
    return smtp


def send(smtp: smtplib.SMTP, message: EmailMessage, sender: str, recipient: str) -> None:
    """Hands the message over for one recipient. Raises SendFailure."""
    try:
        smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as exc:  # the only recipient was refused
        code = min(code for code, _ in exc.recipients.values())
        raise SendFailure(f"recipient refused: {_reply_of(code, *exc.recipients.values())}", code >= 500) from None
    except smtplib.SMTPSenderRefused as exc:
        # Our own From refused: a setting to fix, not this message's fault; tried again, then given up.
        raise SendFailure(f"sender {exc.sender} refused: {_reply(exc)} (check SHOP_EMAIL_FROM)", False) from None
    except smtplib.SMTPResponseException as exc:  # MAIL/DATA refused (a 4xx rate limit, a 5xx spam verdict)
        raise SendFailure(_reply(exc), exc.smtp_code >= 500) from None
    except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address and a server without SMTPUTF8
        raise SendFailure(str(exc), True) from None
    except (OSError, smtplib.SMTPException) as exc:  # disconnected, timed out
        raise SendFailure(_describe(exc), False) from None


def close(smtp: smtplib.SMTP) -> None:
    """QUIT politely; a connection that is already gone is just closed."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        _close(smtp)


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return _reply_of(exc.smtp_code, (exc.smtp_code, exc.smtp_error))


def _reply_of(code: int, *replies: tuple[int, bytes | str]) -> str:
    texts = [text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text) for _, text in replies]
    return f"{code} {' '.join(texts)}".strip()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
