"""Email's settings: SMTP_URL parsed (schemes, default ports, escaped user and password), errors said at start-up
without the password, and `shop run` starting the email sender only when SMTP_URL is set."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from click.testing import CliRunner

from checkout.email import email_configuration_error, email_configured, marketing_email_error
from checkout.email.__main__ import RedactingFormatter
from checkout.email.configuration import from_header, sender_address
from checkout.email.smtp_url import SmtpSecurity, SmtpServer, SmtpUrlError, parse_smtp_url
from checkout.settings import PROJECT_ROOT, Settings
from cli.context import AppContext

SECRET = "hunter2 p@ss:w/rd"
ESCAPED = "hunter2%20p%40ss%3Aw%2Frd"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://127.0.0.1", SmtpServer(SmtpSecurity.PLAIN, "127.0.0.1", 25)),
        ("smtp://relay.local:2525", SmtpServer(SmtpSecurity.PLAIN, "relay.local", 2525)),
        ("smtp+starttls://u:p@mail.example.com", SmtpServer(SmtpSecurity.STARTTLS, "mail.example.com", 587, "u", "p")),
        ("SMTPS://u:p@mail.example.com", SmtpServer(SmtpSecurity.TLS, "mail.example.com", 465, "u", "p")),
        ("smtps://u:p@mail.example.com:2465/", SmtpServer(SmtpSecurity.TLS, "mail.example.com", 2465, "u", "p")),
        (
            f"smtp+starttls://shop%40example.com:{ESCAPED}@smtp.example.com:587",
            SmtpServer(SmtpSecurity.STARTTLS, "smtp.example.com", 587, "shop@example.com", SECRET),
        ),
        ("smtp://apikey@[::1]:25", SmtpServer(SmtpSecurity.PLAIN, "::1", 25, "apikey")),
    ],
)
def test_smtp_urls(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url, problem",
    [
        ("", "must start with smtp://"),
        ("mail.example.com:587", "must start with smtp://"),
        (f"http://u:{ESCAPED}@mail.example.com", "must start with smtp://"),
        (f"smtp+starttls://u:{ESCAPED}@:587", "names no host"),
        (f"smtps://u:{ESCAPED}@mail.example.com:99999", "invalid port"),
        (f"smtps://u:{ESCAPED}@mail.example.com:0", "invalid port"),
        (f"smtps://u:{ESCAPED}@mail.example.com:abc", "invalid port"),
        ("smtp+starttls://u:pa/ss@mail.example.com", "must be URL-escaped"),
        ("smtp://mail.example.com?timeout=3", "takes no path or query"),
        (f"smtp://:{ESCAPED}@mail.example.com", "no user name"),
    ],
)
def test_a_bad_smtp_url_is_refused_with_a_reason_that_never_shows_the_password(url, problem):
    with pytest.raises(SmtpUrlError) as refused:
        parse_smtp_url(url)
    assert problem in str(refused.value)
    assert "hunter2" not in str(refused.value) and "pa/ss" not in str(refused.value)


def test_the_password_is_in_no_repr_and_no_display():
    server = parse_smtp_url(f"smtp+starttls://shop:{ESCAPED}@smtp.example.com")
    assert server.password == SECRET
    for text in (repr(server), str(server), server.display):
        assert "hunter2" not in text
    assert server.display == "smtp+starttls://shop:***@smtp.example.com:587"


def test_email_is_on_with_smtp_url_and_a_from_address():
    on = Settings(smtp_url="smtp://127.0.0.1:25", shop_email_from="Loop <shop@loop.example>")
    assert email_configured(on) and email_configuration_error(on) is None
    assert not email_configured(Settings()) and email_configuration_error(Settings()) == "SMTP_URL is not set"
    assert not email_configured(on.replace(shop_email_from=""))
    assert "SHOP_EMAIL_FROM is not set" in (email_configuration_error(on.replace(shop_email_from="")) or "")
    assert "not an email address" in (email_configuration_error(on.replace(shop_email_from="the shop")) or "")
    assert "invalid port" in (email_configuration_error(on.replace(smtp_url="smtp://h:x")) or "")
    assert (sender_address(on), from_header(on)) == ("shop@loop.example", "Loop <shop@loop.example>")
    bare = on.replace(shop_email_from="shop@loop.example", shop_name="Loop Streetwear")
    assert from_header(bare) == "Loop Streetwear <shop@loop.example>"  # the shop's name shown when none is given


def test_marketing_email_needs_a_postal_address_a_public_url_and_a_signing_key():
    ready = Settings(
        shop_postal_address="12 rue X, Paris", shop_public_url="https://shop.example.com", shop_secret_key="k"
    )
    assert marketing_email_error(ready) is None
    assert "SHOP_POSTAL_ADDRESS" in (marketing_email_error(ready.replace(shop_postal_address=" ")) or "")
    assert "SHOP_PUBLIC_URL" in (marketing_email_error(ready.replace(shop_public_url="")) or "")
    assert "SHOP_SECRET_KEY" in (marketing_email_error(ready.replace(shop_secret_key="")) or "")


def test_the_log_formatter_redacts_the_password_in_every_form():
    formatter = RedactingFormatter([SECRET], "%(message)s")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "login %s failed via %s", (SECRET, ESCAPED), None)
    assert formatter.format(record) == "login <redacted> failed via <redacted>"


def test_shop_run_starts_the_email_sender_only_with_smtp_url(tmp_path):
    from cli.run_command import email_status, process_specs

    base = Settings(rasa_api_token="t")
    assert "email" not in [s.name for s in process_specs(base, tmp_path / "m.tar.gz", tmp_path / "e.yml")]
    assert email_status(base).startswith("off")
    on = base.replace(smtp_url="smtp://127.0.0.1:2525", shop_email_from="shop@loop.example")
    [sender] = [s for s in process_specs(on, tmp_path / "m.tar.gz", tmp_path / "e.yml") if s.name == "email"]
    assert sender.command[-2:] == ["-m", "checkout.email"] and sender.env["SMTP_URL"] == "smtp://127.0.0.1:2525"
    assert email_status(on).startswith("order emails only: SHOP_POSTAL_ADDRESS")


def test_shop_run_refuses_a_bad_smtp_url_before_starting_anything():
    from cli.run_command import run

    settings = Settings(smtp_url=f"smtp+starttls://shop:{ESCAPED}@mail.example.com:99999", shop_email_from="a@b.c")
    result = CliRunner().invoke(run, obj=AppContext(settings))
    assert result.exit_code == 1 and "email: SMTP_URL has an invalid port" in result.output
    assert "hunter2" not in result.output


def test_the_sender_process_exits_with_the_reason_when_misconfigured():
    environment = {
        "PATH": "/usr/bin:/bin",
        "SMTP_URL": f"smtps://shop:{ESCAPED}@mail.example.com:465",
        "SHOP_EMAIL_FROM": "the shop",  # not empty: an empty variable would let a developer's .env fill it in
        "DATABASE_URL": "sqlite:///:memory:",
    }
    done = subprocess.run(
        [sys.executable, "-m", "checkout.email"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "cannot start the email sender: SHOP_EMAIL_FROM is not an email address" in done.stdout
    assert "hunter2" not in done.stdout + done.stderr
