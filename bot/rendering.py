"""Rasa's REST replies as Telegram messages: escaped text, inline keyboards for buttons, photos for images.

Text goes out in HTML parse mode with every character escaped, so a product named "Dad_Cap *Limited*" shows
as written instead of breaking Telegram's formatting or the whole message.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_TEXT = 4000  # Telegram's limit is 4096 characters; longer replies are split at line breaks
MAX_CAPTION = 1024


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message to send: a text, or a photo with an optional caption; buttons below either."""

    text: str | None = None  # HTML, escaped
    photo: str | None = None  # an http(s) URL
    buttons: tuple[tuple[str, str], ...] = ()  # (title, Rasa payload)


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def render(messages: list[dict]) -> list[Outgoing]:
    """Every Rasa message in order; parts Telegram cannot show (custom payloads for now) are skipped."""
    outgoing: list[Outgoing] = []
    for message in messages:
        text = message.get("text") if isinstance(message.get("text"), str) and message["text"].strip() else None
        buttons = _buttons(message.get("buttons"))
        image = message.get("image") if _is_url(message.get("image")) else None
        if image and text and len(text) <= MAX_CAPTION:
            outgoing.append(Outgoing(text=escape(text), photo=image, buttons=buttons))
            continue
        if text:
            chunks = split_text(text)
            outgoing.extend(Outgoing(text=escape(chunk)) for chunk in chunks[:-1])
            outgoing.append(Outgoing(text=escape(chunks[-1]), buttons=() if image else buttons))
        if image:
            outgoing.append(Outgoing(photo=image, buttons=buttons))
        elif buttons and not text:
            outgoing.append(Outgoing(text=escape("Choose one:"), buttons=buttons))
    return outgoing


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at the last line break (or space) before the limit."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else text.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    return pieces + [text]


def keyboard(buttons: tuple[tuple[str, str], ...], keys: dict[str, str]) -> InlineKeyboardMarkup | None:
    """One button per row (titles are product names, often long); each carries its payload's short key."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(title[:64], callback_data=keys[payload])] for title, payload in buttons]
    )


def _buttons(raw: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        (str(b["title"]), str(b["payload"]))
        for b in raw
        if isinstance(b, dict) and b.get("title") and isinstance(b.get("payload"), str) and b["payload"]
    )


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))
