"""Rasa's REST replies as WhatsApp Cloud API messages: texts, images, reply buttons, lists and link buttons.

The Cloud API refuses a whole message (error 100) when one field breaks a limit, so every limit is kept here
rather than hoped for:

- a text is at most 4,096 characters; longer replies are split at line breaks (else spaces);
- an interactive body or an image caption is at most 1,024 characters; the earlier part of a longer text goes
  as plain text before it;
- reply buttons: at most 3, titles at most 20 characters and unique; anything more becomes a list;
- a list: one section (title <= 24), its button <= 20, at most 10 rows, row titles <= 24 and unique,
  descriptions <= 72; a cut title keeps its full wording in the description, so no product name is lost;
  more than 10 choices page behind a "More…" row whose payload carries the rest (`more_choices`);
- a link (a payment link) is a `cta_url` message with one URL button (display text <= 20) and cannot share
  a message with reply buttons, so it follows them as its own message.

Button and row ids carry short keys (`ids`), not payloads: a Rasa payload with a long product name would not
fit, and a key we issued cannot be forged into a payload we never offered. Text is sent as written: WhatsApp's
*bold*/_italic_ marks cannot break a message, so nothing is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from bot import rendering
from bot.rendering import is_url

MAX_TEXT = 4096
MAX_BODY = 1024  # interactive body text and image caption
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_SECTION_TITLE = 24
MAX_LIST_BUTTON = 20
MAX_LINK_TEXT = 20

CHOOSE_TEXT = "Choose one:"  # WhatsApp requires a body, and Rasa may send buttons alone
MORE_TEXT = "More options:"
LIST_BUTTON = "Choose"
SECTION_TITLE = "Options"
MORE_TITLE = "More…"
ELLIPSIS = "…"

# Rasa payloads start with "/" (an intent) or are plain words, never with a control character. Not "\x00":
# PostgreSQL text columns, where the caller stores payloads, refuse NUL.
MORE_PREFIX = "\x1fmore:"
MAX_MORE_PAYLOAD = 4096  # the stored payload stays small; catalogue lists are far shorter than this


@dataclass(frozen=True)
class Outgoing:
    """One WhatsApp message to send: a text, an image (captioned when the text fits), a text with choices
    (reply buttons or a list), or a text with one link button. `render` never combines an image with choices or
    a link, nor choices with a link."""

    text: str | None = None  # as written; WhatsApp formatting characters are fine
    image: str | None = None  # an http(s) URL, sent by link
    choices: tuple[tuple[str, str], ...] = ()  # (title, Rasa payload)
    link: tuple[str, str] | None = None  # (title, http(s) URL)


def render(messages: list[dict]) -> list[Outgoing]:
    """Every Rasa message in order, each split into messages WhatsApp accepts; parts it cannot show (custom
    payloads for now), empty texts, buttons without a title or target and non-http(s) URLs are skipped."""
    outgoing: list[Outgoing] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        raw_text = message.get("text")
        text = raw_text.strip() if isinstance(raw_text, str) and raw_text.strip() else None
        choices, links = _buttons(message.get("buttons"))
        image = message.get("image") if is_url(message.get("image")) else None
        if image and text and len(text) <= MAX_BODY and not choices and not links:
            outgoing.append(Outgoing(text=text, image=image))
            continue
        if image:  # alone and first: an interactive message cannot carry a list's image, nor a long caption
            outgoing.append(Outgoing(image=image))
        body = None
        if text:
            pieces = split_text(text)
            if choices or links:  # only the last <= 1,024 characters can be the interactive body
                head, body = split_tail(pieces[-1], MAX_BODY)
                pieces = pieces[:-1] + ([head] if head else [])
            outgoing.extend(Outgoing(text=piece) for piece in pieces)
        if choices:
            outgoing.append(Outgoing(text=body or CHOOSE_TEXT, choices=choices))
            body = None  # the text went with the choices; a link after them says its own title
        for title, url in links:
            outgoing.append(Outgoing(text=body or title, link=(title, url)))
            body = None
    return outgoing


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    return rendering.split_text(text, limit)


def split_tail(text: str, limit: int = MAX_BODY) -> tuple[str, str]:
    """(head, tail): the tail at most `limit` characters, as long as possible, starting after a line break (else
    a space); the head is "" when the whole text fits. Used for the one piece that must be an interactive body."""
    if len(text) <= limit:
        return "", text
    start = len(text) - limit - 1  # a break at or after this index leaves at most `limit` characters after it
    cut = text.find("\n", start)
    cut = cut if cut >= 0 else text.find(" ", start)
    cut = cut if cut >= 0 else len(text) - limit
    head, tail = text[:cut].rstrip(), text[cut:].lstrip()
    if not tail:  # only whitespace after the break: nothing worth a body, cut hard instead
        head, tail = text[: len(text) - limit].rstrip(), text[len(text) - limit :]
    return head, tail


def payloads_to_store(outgoing: list[Outgoing]) -> list[str]:
    """Every payload the messages carry as a button or row id, "More…" payloads included, each once, in order."""
    payloads: dict[str, None] = {}
    for item in outgoing:
        for _, payload in _page(item.choices):
            payloads[payload] = None
    return list(payloads)


def graph_body(item: Outgoing, to: str, ids: dict[str, str]) -> dict:
    """The JSON body of POST /{phone-number-id}/messages for `item`; `ids` maps each payload from
    `payloads_to_store` to the short id its button or row carries. Limits are enforced again here, so an
    `Outgoing` built by hand cannot produce a refused body either."""
    if item.choices:
        body = _cut(item.text or CHOOSE_TEXT, MAX_BODY)
        if _fits_buttons(item.choices):
            titles = _unique([_label(title) for title, _ in item.choices], MAX_BUTTON_TITLE)
            buttons = [
                {"type": "reply", "reply": {"id": ids[payload], "title": title}}
                for title, (_, payload) in zip(titles, item.choices, strict=True)
            ]
            return _interactive(to, {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}})
        return _interactive(to, {"type": "list", "body": {"text": body}, "action": _list_action(item.choices, ids)})
    if item.link:
        title, url = item.link
        parameters = {"display_text": _cut(_label(title), MAX_LINK_TEXT), "url": url}
        return _interactive(
            to,
            {
                "type": "cta_url",
                "body": {"text": _cut(item.text or _label(title), MAX_BODY)},
                "action": {"name": "cta_url", "parameters": parameters},
            },
        )
    if item.image:
        image: dict[str, str] = {"link": item.image}
        if item.text:
            image["caption"] = _cut(item.text, MAX_BODY)
        return {**_envelope(to, "image"), "image": image}
    return {**_envelope(to, "text"), "text": {"body": _cut(item.text or "", MAX_TEXT)}}


def more_choices(payload: str) -> tuple[tuple[str, str], ...] | None:
    """The choices behind a "More…" row's payload; None for any other payload (or a mangled one)."""
    if not isinstance(payload, str) or not payload.startswith(MORE_PREFIX):
        return None
    try:
        decoded = json.loads(payload[len(MORE_PREFIX) :])
    except ValueError:
        return None
    if not isinstance(decoded, list) or not decoded:
        return None
    choices = []
    for pair in decoded:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) and part for part in pair)):
            return None
        choices.append((pair[0], pair[1]))
    return tuple(choices)


def more_message(choices: Iterable[tuple[str, str]]) -> Outgoing:
    """The next page, sent when a "More…" row is pressed; `graph_body` pages it again if it is still long."""
    return Outgoing(text=MORE_TEXT, choices=tuple(choices))


def _buttons(raw: object) -> tuple[tuple[tuple[str, str], ...], list[tuple[str, str]]]:
    """(choices, links) from Rasa's buttons: a `url` makes a link, a `payload` a choice."""
    if not isinstance(raw, list):
        return (), []
    choices: dict[str, str] = {}  # payload -> title: one id per payload, so a repeated payload shows once
    links: list[tuple[str, str]] = []
    for button in raw:
        if not isinstance(button, dict) or button.get("title") is None:
            continue
        title = _label(str(button["title"]))
        if not title:
            continue
        if button.get("url") is not None:  # a link button, shown only when it is a web address
            if is_url(button["url"]):
                links.append((title, button["url"]))
            continue
        payload = button.get("payload")
        if isinstance(payload, str) and payload.strip() and not payload.startswith(MORE_PREFIX):
            choices.setdefault(payload, title)
    return tuple((title, payload) for payload, title in choices.items()), links


def _fits_buttons(choices: tuple[tuple[str, str], ...]) -> bool:
    return len(choices) <= MAX_BUTTONS and all(len(_label(title)) <= MAX_BUTTON_TITLE for title, _ in choices)


def _page(choices: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """The (title, payload) rows or buttons one message shows: past 10, nine choices and a "More…" row."""
    if len(choices) <= MAX_ROWS:
        return list(choices)
    return [*choices[: MAX_ROWS - 1], (MORE_TITLE, _more_payload(choices[MAX_ROWS - 1 :]))]


def _more_payload(rest: tuple[tuple[str, str], ...]) -> str:
    """The remaining choices, encoded; the last ones are dropped if they would make the payload too large to
    store comfortably (hundreds of choices, never a real catalogue reply)."""
    kept = list(rest)
    while True:
        payload = MORE_PREFIX + json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
        if len(payload) <= MAX_MORE_PAYLOAD or len(kept) == 1:
            return payload
        kept.pop()


def _list_action(choices: tuple[tuple[str, str], ...], ids: dict[str, str]) -> dict:
    page = _page(choices)
    labels = [_label(title) for title, _ in page]
    titles = _unique(labels, MAX_ROW_TITLE)
    rows = []
    for title, label, (_, payload) in zip(titles, labels, page, strict=True):
        row = {"id": ids[payload], "title": title}
        if len(label) > MAX_ROW_TITLE:  # the cut title loses words; the description keeps them all
            row["description"] = _cut(label, MAX_ROW_DESCRIPTION)
        elif payload.startswith(MORE_PREFIX):
            row["description"] = f"{len(more_choices(payload) or ())} more"
        rows.append(row)
    return {
        "button": _cut(LIST_BUTTON, MAX_LIST_BUTTON),
        "sections": [{"title": _cut(SECTION_TITLE, MAX_SECTION_TITLE), "rows": rows}],
    }


def _unique(titles: list[str], limit: int) -> list[str]:
    """Titles cut to `limit`, a repeated one (as given, or after cutting) suffixed " (2)", " (3)"…: WhatsApp
    refuses a message whose buttons or rows share a title."""
    unique: list[str] = []
    seen: set[str] = set()
    for full in titles:
        title, number = _cut(full, limit), 1
        while title in seen:
            number += 1
            suffix = f" ({number})"
            title = _cut(full, limit - len(suffix)) + suffix
        seen.add(title)
        unique.append(title)
    return unique


def _cut(text: str, limit: int) -> str:
    """`text` if it fits, else cut at a word boundary (a hard cut when that would lose over half) plus "…"."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    cut = text.rfind(" ", 0, room + 1)
    cut = cut if cut >= room // 2 else room
    return text[:cut].rstrip() + ELLIPSIS


def _label(title: str) -> str:
    """A title on one line: buttons and rows show a single line, and line breaks would count toward the limit."""
    return " ".join(title.split())


def _interactive(to: str, interactive: dict) -> dict:
    return {**_envelope(to, "interactive"), "interactive": interactive}


def _envelope(to: str, kind: str) -> dict:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind}
