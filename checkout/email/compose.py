"""A draft made into the message SMTP carries: headers, a text part and an HTML alternative."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from checkout.email.configuration import from_header, sender_address
from checkout.email.drafts import Draft, NotSendable
from checkout.settings import Settings

ONE_CLICK = "List-Unsubscribe=One-Click"  # RFC 8058: the POST body mail clients send, and the header announcing it


def compose(settings: Settings, draft: Draft) -> EmailMessage:
    """Raises NotSendable for a draft no message can carry (a line break in an address or subject)."""
    sender = sender_address(settings) or ""
    message = EmailMessage()
    try:
        message["From"] = from_header(settings)
        message["To"] = draft.recipient
        message["Subject"] = draft.subject
        message["Date"] = formatdate(usegmt=True)
        # Our own domain, not the machine's name: make_msgid would otherwise look the host name up on every call.
        message["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or None)
        if draft.unsubscribe_url:
            # RFC 2369 and RFC 8058: the mail client's own unsubscribe button, by one-click POST or by mail.
            message["List-Unsubscribe"] = f"<{draft.unsubscribe_url}>, <mailto:{sender}?subject=unsubscribe>"
            message["List-Unsubscribe-Post"] = ONE_CLICK
    except ValueError as exc:  # the email library refuses header injection
        raise NotSendable(f"the email's headers cannot be written: {exc}") from None
    # Quoted-printable: 7-bit safe through any relay, whatever the server says about 8BITMIME.
    message.set_content(draft.text, cte="quoted-printable")
    message.add_alternative(draft.html, subtype="html", cte="quoted-printable")
    return message
