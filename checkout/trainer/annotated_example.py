"""What a trainer gives for a message (entity spans on its text, their own edited markup, or nothing) as the
example line to write."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from checkout.trainer.markup import Entity, MarkupError, entities_from_spans, parse_markup, to_markup

# Left in a text after its markup was read: a "[black](colour" the trainer did not finish.
_BROKEN_MARKUP = ("](", "]{", "][")


def example_line(
    text: str,
    spans: Sequence[Mapping[str, object]] | None,
    markup: str | None,
    predicted: list | None,
    entity_names: Collection[str],
) -> str:
    """The example for `text` with `spans`, or the trainer's `markup` (which replaces the text: how personal data
    is edited out), or with neither the entities the model `predicted`. MarkupError says what is wrong."""
    if markup is not None:
        if spans is not None:
            raise MarkupError("give entity spans or markup, not both")
        plain, entities = parse_markup(markup)
        if any(mark in plain for mark in _BROKEN_MARKUP):
            raise MarkupError(f"unfinished entity markup in {markup!r}")
        if not plain.strip():
            raise MarkupError("the example is empty")
        return to_markup(plain, entities, entity_names)
    entities = (
        entities_from_spans(text, spans) if spans is not None else predicted_entities(text, predicted, entity_names)
    )
    return to_markup(text, entities, entity_names)


def predicted_entities(text: str, predicted: list | None, entity_names: Collection[str]) -> list[Entity]:
    """The model's entities that can be markup: spans of the domain's entities, the first of overlapping ones.
    Their values are the words themselves: a value the model normalised would become a synonym in training."""
    kept: list[Entity] = []
    spans = [e for e in predicted or [] if isinstance(e, dict) and isinstance(e.get("start"), int)]
    for raw in sorted(spans, key=lambda e: e["start"]):
        start, end, name = raw["start"], raw.get("end"), raw.get("entity")
        if not (isinstance(end, int) and 0 <= start < end <= len(text)):
            continue
        piece = text[start:end]
        if name in entity_names and piece.strip() == piece and all(end <= e.start or start >= e.end for e in kept):
            kept.append(Entity(start, end, str(name), piece))
    return kept
