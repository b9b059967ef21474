"""Entity spans <-> Rasa's [text](entity) markup, and what a trainer gives for a message as an example line."""

from __future__ import annotations

import pytest

from checkout.trainer.annotated_example import example_line, predicted_entities
from checkout.trainer.markup import Entity, MarkupError, entities_from_spans, example_text, parse_markup, to_markup

NAMES = ["product", "category", "color", "size", "quantity", "order_number"]
TEXT = "do you have the black hoodie in M?"


def spans(*items):
    return entities_from_spans(
        TEXT, [dict(zip(("start", "end", "entity", "value"), item, strict=False)) for item in items]
    )


def test_spans_become_markup_and_back():
    entities = spans((16, 21, "color"), (22, 28, "product"), (32, 33, "size", "medium"))
    example = to_markup(TEXT, entities, NAMES)
    assert example == 'do you have the [black](color) [hoodie](product) in [M]{"entity": "size", "value": "medium"}?'
    assert parse_markup(example) == (TEXT, entities)
    assert example_text(example) == TEXT


def test_markup_forms_rasa_accepts_are_read():
    assert parse_markup('[M](size:medium) and [two][{"entity": "quantity", "value": 2}]') == (
        "M and two",
        [Entity(0, 1, "size", "medium"), Entity(6, 9, "quantity", "2")],
    )


def test_whitespace_collapses_and_spans_move_with_their_words():
    text = "  the\tblack \n\n hoodie  "
    entities = entities_from_spans(text, [{"start": 6, "end": 11, "entity": "color"}])
    assert to_markup(text, entities, NAMES) == "the [black](color) hoodie"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([(16, 21, "colour")], "not an entity of the domain"),
        ([(15, 21, "color")], "start and end on a word"),  # " black"
        ([(30, 40, "size")], "does not lie on the text"),
        ([(21, 16, "color")], "does not lie on the text"),
        ([(16, 28, "product"), (22, 28, "product")], "overlap"),
        ([(16, 21, "color", " ")], "empty value"),
    ],
)
def test_bad_spans_are_refused(items, message):
    with pytest.raises(MarkupError, match=message):
        to_markup(TEXT, spans(*items), NAMES)


def test_spans_must_be_objects_with_whole_numbers():
    with pytest.raises(MarkupError):
        entities_from_spans(TEXT, [{"start": "16", "end": 21, "entity": "color"}])
    with pytest.raises(MarkupError):
        entities_from_spans(TEXT, ["color"])  # type: ignore[list-item]


@pytest.mark.parametrize("text", ["see [this](color) one", 'see [this]{"entity": "size"} one', "a [b]{c} d"])
def test_a_text_that_reads_as_markup_is_refused(text):
    with pytest.raises(MarkupError, match="brackets"):
        to_markup(text, [], NAMES)


def test_plain_brackets_are_kept():
    assert to_markup("size [M] please (or L)", [], NAMES) == "size [M] please (or L)"


def test_a_value_holding_a_closing_brace_is_refused():
    with pytest.raises(MarkupError, match="brackets"):
        to_markup(TEXT, spans((32, 33, "size", "me}dium")), NAMES)


def test_trainer_markup_replaces_the_text_and_is_written_canonically():
    line = example_line(TEXT, None, 'i want the [M]{"entity": "size", "value": "M"}  one', None, NAMES)
    assert line == "i want the [M](size) one"


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        ("the [black](colour) one", "not an entity"),
        ("the [black](color one", "unfinished"),
        ('the [black]{"entity": "color", "role": "x"} one', "roles"),
        ("   ", "empty"),
    ],
)
def test_bad_trainer_markup_is_refused(markup, message):
    with pytest.raises(MarkupError, match=message):
        example_line(TEXT, None, markup, None, NAMES)


def test_spans_and_markup_together_are_refused():
    with pytest.raises(MarkupError, match="not both"):
        example_line(TEXT, [], "x", None, NAMES)


def test_without_spans_the_model_entities_are_taken_with_their_words_as_values():
    predicted = [
        {"entity": "product", "start": 22, "end": 28, "value": "Heavyweight Hoodie"},
        {"entity": "color", "start": 16, "end": 21, "value": "black"},
        {"entity": "color", "start": 16, "end": 21, "value": "black"},  # twice: two extractors
        {"entity": "size", "start": 22, "end": 33, "value": "x"},  # overlaps the product
        {"entity": "payment_method", "start": 0, "end": 2},  # not one of NAMES
        {"entity": "size", "start": 32},  # no end
    ]
    assert predicted_entities(TEXT, predicted, NAMES) == [
        Entity(16, 21, "color", "black"),
        Entity(22, 28, "product", "hoodie"),
    ]
    assert example_line(TEXT, None, None, predicted, NAMES) == "do you have the [black](color) [hoodie](product) in M?"
    assert example_line(TEXT, [], None, predicted, NAMES) == TEXT
