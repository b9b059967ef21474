"""What every channel's renderer reads off Rasa's REST replies: buttons, image links, text cut to a size."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at the last line break (or space) before the limit."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else text.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    return pieces + [text]


def reply_text(message: dict) -> str | None:
    text = message.get("text")
    return text if isinstance(text, str) and text.strip() else None


def payload_buttons(raw: object) -> tuple[tuple[str, str], ...]:
    """(title, payload) of the buttons that send a Rasa payload; link buttons and malformed ones are left out."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        (str(b["title"]), str(b["payload"]))
        for b in raw
        if isinstance(b, dict) and b.get("title") and isinstance(b.get("payload"), str) and b["payload"]
    )


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))
