"""SMTP_URL, read once at start-up: which server, how it is secured, and who logs in.

smtp://host[:25]                      plain (a relay on the same machine or network)
smtp+starttls://user:pass@host[:587]  submission with STARTTLS
smtps://user:pass@host[:465]          TLS from the first byte
A user name or password with reserved characters is URL-escaped (`p%40ss` for `p@ss`). Errors never repeat the
URL: it holds the password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote, urlsplit


class SmtpSecurity(StrEnum):
    PLAIN = "smtp"
    STARTTLS = "smtp+starttls"
    TLS = "smtps"


DEFAULT_PORTS = {SmtpSecurity.PLAIN: 25, SmtpSecurity.STARTTLS: 587, SmtpSecurity.TLS: 465}


class SmtpUrlError(ValueError):
    """SMTP_URL cannot be used (said without the password)."""


@dataclass(frozen=True)
class SmtpServer:
    security: SmtpSecurity
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)  # never in a repr, so never in a log line or traceback

    @property
    def display(self) -> str:
        """For log lines: the URL with the password left out."""
        user = f"{self.username}:***@" if self.username else ""
        return f"{self.security}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """Raises SmtpUrlError saying what is wrong."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
        if port == 0:
            raise ValueError("port 0")
    except ValueError:  # a port that is not a number, or out of range
        raise SmtpUrlError(
            "SMTP_URL has an invalid port (expected a number 1-65535; "
            "in a user name or password, / ? # @ must be URL-escaped)"
        ) from None
    try:
        security = SmtpSecurity(parts.scheme.lower())
    except ValueError:
        raise SmtpUrlError(
            f"SMTP_URL must start with smtp://, smtp+starttls:// or smtps:// (not {parts.scheme or 'nothing'!r})"
        ) from None
    if not parts.hostname:
        raise SmtpUrlError("SMTP_URL names no host (expected e.g. smtp+starttls://user:pass@mail.example.com:587)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SmtpUrlError("SMTP_URL takes no path or query: a user name or password with / ? # must be URL-escaped")
    username, password = unquote(parts.username or ""), unquote(parts.password or "")
    if password and not username:
        raise SmtpUrlError("SMTP_URL has a password but no user name")
    return SmtpServer(security, parts.hostname, port or DEFAULT_PORTS[security], username, password)
