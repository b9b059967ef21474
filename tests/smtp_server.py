"""A real SMTP server on loopback for the email tests: aiosmtpd in the test process, on a reserved port.

It records every message it accepts (parsed), can refuse chosen recipients with chosen replies (a 451 for a
temporary refusal, a 550 for a permanent one), and can speak STARTTLS or implicit TLS with a self-signed
certificate (made by the openssl command) and require a login."""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.ports import reserve_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        """The text of the text/<subtype> part ("plain", "html")."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, f"no text/{subtype} part"
        return str(body.get_content())


class _Handler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_replies: dict[str, list[str]] = {}  # address -> replies to give its next RCPTs
        self.changed = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        with self.changed:
            replies = self.rcpt_replies.get(address.lower())
            reply = replies.pop(0) if replies else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.changed:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self.changed.notify_all()
        return "250 Message accepted for delivery"


class LoopbackSmtp:
    """`with LoopbackSmtp() as smtp:` a server on smtp.port until the block ends."""

    def __init__(
        self,
        *,
        implicit_tls: ssl.SSLContext | None = None,
        starttls: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
        port: int | None = None,
    ):
        self.port = port or reserve_port(HOST)
        self.handler = _Handler()
        self.logins: list[tuple[str, str]] = []
        options: dict = {}
        if starttls is not None:
            options.update(tls_context=starttls, require_starttls=True)
        if login is not None:
            options.update(
                authenticator=self._authenticator(login),
                auth_required=True,
                # aiosmtpd counts only STARTTLS as TLS; with implicit TLS the whole session is encrypted anyway.
                auth_require_tls=starttls is not None,
            )
        self._controller = Controller(self.handler, hostname=HOST, port=self.port, ssl_context=implicit_tls, **options)

    def _authenticator(self, expected: tuple[str, str]):
        def check(server, session, envelope, mechanism, auth_data) -> AuthResult:
            if not isinstance(auth_data, LoginPassword):
                return AuthResult(success=False, handled=False)
            given = (auth_data.login.decode(), auth_data.password.decode())
            self.logins.append(given)
            return AuthResult(success=given == expected, handled=False)

        return check

    def __enter__(self) -> LoopbackSmtp:
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()

    @property
    def received(self) -> list[Received]:
        with self.handler.changed:
            return list(self.handler.received)

    def refuse(self, address: str, *replies: str) -> None:
        """The next RCPTs for `address` get these replies, one each ("451 4.7.1 try later", "550 5.1.1 no user")."""
        with self.handler.changed:
            self.handler.rcpt_replies.setdefault(address.lower(), []).extend(replies)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Blocks until `count` messages arrived (raises AssertionError after `timeout` seconds)."""
        with self.handler.changed:
            arrived = self.handler.changed.wait_for(lambda: len(self.handler.received) >= count, timeout)
            assert arrived, f"{len(self.handler.received)} of {count} emails arrived"
            return list(self.handler.received)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, made with the openssl command."""
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def tls_contexts(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(the server's context, a client context that trusts only that server's certificate)."""
    cert, key = self_signed_certificate(directory)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client
