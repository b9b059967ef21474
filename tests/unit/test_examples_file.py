"""The reviewed NLU files: read as Rasa reads them, written sorted and stable (one annotation, one diff line)."""

from __future__ import annotations

import difflib

import pytest
import yaml

from checkout.trainer.examples_file import (
    ExamplePlace,
    add_example,
    example_places,
    examples_by_text,
    iter_examples,
    read_examples,
    render,
    write_examples,
)


def rasa_examples(content: str) -> list[tuple[str, str]]:
    """What Rasa 3.6 reads from a file's `|` blocks (rasa_yaml.py: splitlines, "-" lines, [1:].strip("\\n\\r "))."""
    found = []
    for item in yaml.safe_load(content)["nlu"]:
        for line in item["examples"].splitlines():
            assert line.startswith("-"), line
            found.append((item["intent"], line[1:].strip("\n\r ")))
    return found


def test_written_sorted_by_intent_then_case_folded_text(tmp_path):
    path = tmp_path / "reviewed.yml"
    write_examples(path, {"greet": ["hello", "Hey"], "affirm": ["yes", "[black](color) is fine", "Absolutely"]})
    assert rasa_examples(path.read_text()) == [
        ("affirm", "Absolutely"),
        ("affirm", "[black](color) is fine"),  # sorted by its text, "black is fine", not by the bracket
        ("affirm", "yes"),
        ("greet", "hello"),
        ("greet", "Hey"),
    ]
    assert path.read_text().startswith("# ")
    assert 'version: "3.1"' in path.read_text()


def test_writing_the_same_content_twice_gives_the_same_bytes(tmp_path):
    first, second = tmp_path / "a.yml", tmp_path / "b.yml"
    examples = {"greet": ["hi", "hello"], "thank": ["thx"]}
    write_examples(first, examples)
    write_examples(second, {"thank": ["thx"], "greet": ["hello", "hi", "hi"]})  # other order, a duplicate
    assert first.read_bytes() == second.read_bytes()
    write_examples(second, read_examples(second))
    assert first.read_bytes() == second.read_bytes()


def test_adding_one_example_is_a_one_line_diff(tmp_path):
    path = tmp_path / "reviewed.yml"
    write_examples(path, {"greet": ["hi", "hello", "yo"], "thank": ["thanks", "ty"]})
    before = path.read_text().splitlines()
    assert add_example(path, "greet", "hey there") is True
    changes = [
        line
        for line in difflib.unified_diff(before, path.read_text().splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changes == ["+    - hey there"]


def test_adding_a_text_already_there_changes_nothing(tmp_path):
    path = tmp_path / "reviewed.yml"
    write_examples(path, {"add_to_cart": ["I'll take the [black](color) one"]})
    before = path.read_bytes()
    assert add_example(path, "add_to_cart", "i'll  TAKE the black one") is False
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="add_to_cart"):
        add_example(path, "product_info", "I'll take the black one")


def test_first_example_creates_the_file_and_its_folder(tmp_path):
    path = tmp_path / "tests" / "nlu" / "heldout_reviewed.yml"
    assert read_examples(path) == {}
    assert add_example(path, "greet", "hiya")
    assert rasa_examples(path.read_text()) == [("greet", "hiya")]
    assert [p.name for p in path.parent.iterdir()] == ["heldout_reviewed.yml"]  # no temporary file left


@pytest.mark.parametrize(
    "example",
    [
        "# not a comment",
        "- starts with a dash",
        "'single' and \"double\" quotes",
        "key: value",
        "{not: a mapping}",
        "* star & anchor ! tag % percent @ at ` backtick | pipe > fold",
        "ends with a colon:",
        '[M]{"entity": "size", "value": "medium"} "quoted" size',
        "emoji 👍🏽 and zero‑width\u200djoiner",
        "...",
        "---",
        "yes",
        "null",
    ],
)
def test_special_characters_stay_as_written(tmp_path, example):
    path = tmp_path / "reviewed.yml"
    write_examples(path, {"inform": [example]})
    assert rasa_examples(path.read_text()) == [("inform", example)]
    assert read_examples(path) == {"inform": [example]}


@pytest.mark.parametrize("example", ["two\nlines", " leading space", "trailing space ", "", "bell\x07", "nel\x85x"])
def test_what_a_line_cannot_hold_is_refused(example):
    with pytest.raises(ValueError, match="one-line"):
        render({"inform": [example]})


def test_reading_skips_regex_lookup_and_synonym_items_and_takes_list_examples(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(
        'version: "3.1"\n'
        "nlu:\n"
        "- regex: order_number\n  examples: |\n    - [A-Z0-9]{6}\n"
        "- lookup: color\n  examples: |\n    - black\n"
        "- synonym: medium\n  examples: |\n    - M\n"
        "- intent: greet\n  examples: |\n    - hi\n    -   hello  \n"
        "- intent: thank\n  examples:\n  - text: |\n      thanks a lot\n    metadata: {sentiment: positive}\n"
    )
    assert list(iter_examples(path)) == [("greet", "hi"), ("greet", "hello"), ("thank", "thanks a lot")]
    assert list(iter_examples(tmp_path / "stories.yml")) == []


def test_examples_by_text_over_several_files(tmp_path):
    training, test, rules = tmp_path / "nlu.yml", tmp_path / "heldout.yml", tmp_path / "rules.yml"
    write_examples(training, {"greet": ["Hello  there"], "add_to_cart": ["two [black](color) hoodies"]})
    write_examples(test, {"goodbye": ["hello there"]})
    rules.write_text('version: "3.1"\nrules:\n- rule: greet\n  steps:\n  - intent: greet\n')
    assert examples_by_text([training, test, rules]) == {"hello there": "greet", "two black hoodies": "add_to_cart"}
    assert example_places([training, test])["hello there"] == [
        ExamplePlace(training, "greet"),
        ExamplePlace(test, "goodbye"),
    ]
