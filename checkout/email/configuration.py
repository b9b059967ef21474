"""Whether email is on, and whether these settings can send it: checked at start-up, not at the first send."""

from __future__ import annotations

from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import formataddr, parseaddr

from checkout.email.smtp_url import SmtpServer, SmtpUrlError, parse_smtp_url
from checkout.settings import Settings


def email_configured(settings: Settings) -> bool:
    """Email is on: SMTP_URL and SHOP_EMAIL_FROM are set (the campaign preview and `shop run` ask this)."""
    return bool(settings.smtp_url.strip() and settings.shop_email_from.strip())


def email_configuration_error(settings: Settings) -> str | None:
    """Why the email sender cannot start with these settings, or None."""
    if not settings.smtp_url.strip():
        return "SMTP_URL is not set"
    try:
        parse_smtp_url(settings.smtp_url)
    except SmtpUrlError as exc:
        return str(exc)
    if not settings.shop_email_from.strip():
        return "SHOP_EMAIL_FROM is not set (the address emails are sent from, e.g. Shop <shop@example.com>)"
    if sender_address(settings) is None:
        return "SHOP_EMAIL_FROM is not an email address (expected shop@example.com or Shop <shop@example.com>)"
    return None


def marketing_email_error(settings: Settings) -> str | None:
    """Why marketing emails cannot be sent (transactional ones still can), or None: the law asks for a postal
    address in them, and the unsubscribe link must reach the web app from the recipient's mailbox, signed."""
    if not settings.shop_postal_address.strip():
        return "SHOP_POSTAL_ADDRESS is not set: marketing emails must carry the shop's postal address"
    if not settings.shop_public_url.strip():
        return "SHOP_PUBLIC_URL is not set: the unsubscribe link must point at the web app's public address"
    if not settings.shop_secret_key:
        return "SHOP_SECRET_KEY is not set: the unsubscribe links are signed with it"
    return None


def smtp_server(settings: Settings) -> SmtpServer:
    """Raises SmtpUrlError."""
    return parse_smtp_url(settings.smtp_url)


def sender_address(settings: Settings) -> str | None:
    """The bare address of SHOP_EMAIL_FROM (the envelope sender and the mailto: of List-Unsubscribe)."""
    address = parseaddr(settings.shop_email_from)[1].strip()
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, HeaderParseError):  # an InvalidHeaderDefect is a ValueError
        return None
    return address if parsed.username and parsed.domain else None


def from_header(settings: Settings) -> str:
    """SHOP_EMAIL_FROM as the From header: the shop's name shown when the setting gives none."""
    name, address = parseaddr(settings.shop_email_from)
    return formataddr((name or settings.shop_name, address))
