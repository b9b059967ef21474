"""Rasa's entity markup, both ways: (text, entity spans) <-> "do you have the [black](color) hoodie in
[M]{"entity": "size", "value": "medium"}".

Rasa has no escape for markup, so a text that already looks like markup cannot be written as an example: every
conversion is checked by reading the result back the way Rasa will (its own regular expression, below).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

# Rasa 3.6's ENTITY_REGEX (rasa/shared/nlu/training_data/entities_parser.py), so we read examples as it does.
ENTITY_MARKUP = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)|\{(?P<entity_dict>[^}]+?)\}"
    r"|\[(?P<list_entity_dicts>.*?)\])"
)
_ENTITY_DICT = re.compile(r"\{[^}]+?\}")
# What an example line cannot hold: YAML allows no control characters (nor a byte order mark inside), and
# Python's splitlines, which Rasa uses on the block, breaks lines at \x1c-\x1e and \x85 too. Between words
# these become one space, like any whitespace (\u2028 and \u2029, also line breaks, are whitespace).
UNWRITABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_WORD = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\ufeff\ufffe\uffff]+")


class MarkupError(ValueError):
    """Entity spans or markup that cannot become a training example; the message says why."""


@dataclass(frozen=True, order=True)
class Entity:
    start: int
    end: int
    entity: str
    value: str


def parse_markup(example: str) -> tuple[str, list[Entity]]:
    """The plain text of an example and its entities, as Rasa reads them."""
    entities: list[Entity] = []
    plain: list[str] = []
    position = 0  # in the plain text
    last = 0  # in the example
    for match in ENTITY_MARKUP.finditer(example):
        plain.append(example[last : match.start()])
        position += match.start() - last
        piece = match["entity_text"]
        if match["list_entity_dicts"] is not None:
            dicts = [m.group() for m in _ENTITY_DICT.finditer(match["list_entity_dicts"])]
        else:
            dicts = [match["entity_dict"]] if match["entity_dict"] else []
        for raw in dicts:
            name, value = _dict_entity(raw, piece)
            entities.append(Entity(position, position + len(piece), name, value))
        if match["entity"]:
            entities.append(Entity(position, position + len(piece), match["entity"], match["value"] or piece))
        plain.append(piece)
        position += len(piece)
        last = match.end()
    plain.append(example[last:])
    return "".join(plain), entities


def _dict_entity(raw: str, piece: str) -> tuple[str, str]:
    text = raw if raw.startswith("{") else "{" + raw + "}"
    try:
        data = json.loads(text)
    except ValueError:
        raise MarkupError(f"{text} is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("entity"), str) or set(data) - {"entity", "value"}:
        raise MarkupError(f'{text}: only "entity" and "value" are used (the domain has no roles or groups)')
    value = data.get("value", piece)
    return data["entity"], value if isinstance(value, str) else json.dumps(value)


def entities_from_spans(text: str, spans: Iterable[Mapping[str, object]]) -> list[Entity]:
    """[{"start", "end", "entity", "value"?}] as entities on `text`, or MarkupError."""
    entities = []
    for span in spans:
        if not isinstance(span, Mapping):
            raise MarkupError(f"{span!r} is not an entity object")
        start, end, name, value = (span.get(k) for k in ("start", "end", "entity", "value"))
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise MarkupError(f"span {start!r}-{end!r} does not lie on the text ({len(text)} characters)")
        if not isinstance(name, str):
            raise MarkupError(f"span {start}-{end} names no entity")
        value = text[start:end] if value is None else value
        entities.append(Entity(start, end, name, value if isinstance(value, str) else json.dumps(value)))
    return entities


def to_markup(text: str, entities: Iterable[Entity], entity_names: Collection[str]) -> str:
    """The example line for `text` with `entities`: whitespace collapsed (Rasa strips lines and one example is one
    line), each entity as [piece](name), or with a JSON dict when its value is not the piece itself."""
    text, spans = _collapsed(text, _checked(text, entities, entity_names))
    out, last = [], 0
    for entity in spans:
        piece = text[entity.start : entity.end]
        out.append(text[last : entity.start])
        if entity.value == piece:
            out.append(f"[{piece}]({entity.entity})")
        else:
            out.append(f"[{piece}]" + json.dumps({"entity": entity.entity, "value": entity.value}, ensure_ascii=False))
        last = entity.end
    out.append(text[last:])
    example = "".join(out)
    try:
        read_back = parse_markup(example)
    except MarkupError:
        read_back = None
    if read_back != (text, spans):
        raise MarkupError("the text or a value holds brackets that Rasa would read as entity markup: edit them out")
    return example


def _checked(text: str, entities: Iterable[Entity], entity_names: Collection[str]) -> list[Entity]:
    spans = sorted(entities)
    for entity in spans:
        piece = text[entity.start : entity.end]
        if entity.entity not in entity_names:
            raise MarkupError(f"{entity.entity!r} is not an entity of the domain ({', '.join(sorted(entity_names))})")
        if not (0 <= entity.start < entity.end <= len(text)) or piece != piece.strip():
            raise MarkupError(f"span {entity.start}-{entity.end} ({piece!r}) must start and end on a word")
        if not entity.value.strip():
            raise MarkupError(f"span {entity.start}-{entity.end} has an empty value")
    for before, after in zip(spans, spans[1:], strict=False):
        if after.start < before.end:
            raise MarkupError(f"spans {before.start}-{before.end} and {after.start}-{after.end} overlap")
    return spans


def _collapsed(text: str, spans: list[Entity]) -> tuple[str, list[Entity]]:
    """The text with its words joined by single spaces, and the spans moved with their words (spans start and end
    on a word character, so each end maps through the character before it)."""
    words = list(_WORD.finditer(text))
    new_start: dict[int, int] = {}
    offset = 0
    for word in words:
        for index in range(word.start(), word.end()):
            new_start[index] = offset + index - word.start()
        offset += len(word.group()) + 1
    collapsed = " ".join(word.group() for word in words)
    try:
        moved = [
            Entity(new_start[e.start], new_start[e.end - 1] + 1, e.entity, " ".join(_WORD.findall(e.value)))
            for e in spans
        ]
    except KeyError:
        raise MarkupError("an entity starts or ends on a character an example cannot hold") from None
    return collapsed, moved


def example_text(example: str) -> str:
    """The plain text of an example line (markup removed)."""
    return ENTITY_MARKUP.sub(lambda match: match["entity_text"], example)
