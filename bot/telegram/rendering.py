"""Rasa's REST replies as Telegram messages: escaped text, inline keyboards for buttons, photos for images.

Text goes out in HTML parse mode with every character escaped, so a product named "Dad_Cap *Limited*" shows
as written instead of breaking Telegram's formatting or the whole message.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import rendering
from bot.rendering import is_url, payload_buttons, reply_text

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
        text = reply_text(message)
        buttons = payload_buttons(message.get("buttons"))
        image = message.get("image") if is_url(message.get("image")) else None
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
    return rendering.split_text(text, limit)


def keyboard(buttons: tuple[tuple[str, str], ...], keys: dict[str, str]) -> InlineKeyboardMarkup | None:
    """One button per row (titles are product names, often long); each carries its payload's short key."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(title[:64], callback_data=keys[payload])] for title, payload in buttons]
    )
