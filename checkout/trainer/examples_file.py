"""Rasa 3.x NLU training files: every example of a project's files, and the reviewed files written sorted and
stable, so that `git diff` after one annotation shows one line.

Only `- intent:` items are examples; regex, lookup and synonym items of the same `nlu:` lists are skipped.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from checkout.trainer.markup import UNWRITABLE, example_text

FORMAT_VERSION = "3.1"  # Rasa 3.6's training data format
HEADER = (
    "# Reviewed shopper messages, written by `shop nlu annotate` and the dashboard's training page.\n"
    "# Sorted by intent, then by text, so each change is one line of a diff; comments here are not kept.\n"
)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: data/nlu.yml is thousands of lines


@dataclass(frozen=True)
class ExamplePlace:
    """Where a text is already an example."""

    path: Path
    intent: str


def normalised(text: str) -> str:
    """A text as compared for conflicts: case-folded, whitespace collapsed (as the review's text_key)."""
    return " ".join(text.casefold().split())


def iter_examples(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, example with markup) of every intent example in the file, as Rasa reads them; none when the file
    does not exist (a reviewed file before the first annotation)."""
    try:
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError:
        return
    items = content.get("nlu") if isinstance(content, dict) else None
    for item in items or []:
        if not isinstance(item, dict) or not item.get("intent"):
            continue
        examples = item.get("examples") or ""
        if isinstance(examples, str):
            # Rasa's reading of a `|` block: one "- " line per example, stripped of spaces.
            lines = [line[1:].strip("\n\r ") for line in examples.splitlines() if line.startswith("-")]
        else:
            lines = [str(e.get("text", "")).strip("\n\r ") for e in examples if isinstance(e, dict)]
        for line in lines:
            if line:
                yield str(item["intent"]), line


def read_examples(path: Path) -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for intent, example in iter_examples(path):
        examples.setdefault(intent, []).append(example)
    return examples


def _sort_key(example: str) -> tuple[str, str]:
    return example_text(example).casefold(), example


def render(examples: Mapping[str, Iterable[str]]) -> str:
    """The file's content: intents by name, each one's examples by case-folded text, duplicates dropped."""
    blocks = []
    for intent in sorted(examples):
        lines = sorted(set(examples[intent]), key=_sort_key)
        for line in lines:
            # A `|` block keeps quotes, '#', ':' and brackets as they are; only line breaks, outer spaces and
            # characters YAML cannot hold would change the example, and markup.to_markup never writes those.
            if not line or line != line.strip() or len(line.splitlines()) != 1 or UNWRITABLE.search(line):
                raise ValueError(f"not a one-line example: {line!r}")
        if lines:
            blocks.append(f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {line}\n" for line in lines))
    if not blocks:
        return f'{HEADER}version: "{FORMAT_VERSION}"\n\nnlu: []\n'
    return f'{HEADER}version: "{FORMAT_VERSION}"\n\nnlu:\n' + "\n".join(blocks)


def write_examples(path: Path, examples: Mapping[str, Iterable[str]]) -> None:
    """Replaces the file at once: a training started meanwhile reads the old file or the new one, never half."""
    content = render(examples)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as tmp:
        tmp.write(content)
    os.replace(tmp.name, path)


def add_example(path: Path, intent: str, example: str) -> bool:
    """Adds the example under `intent`; False when its text is already there under that intent. A text under
    another intent of the same file is a ValueError: callers check conflicts first (example_places)."""
    examples = read_examples(path)
    text = normalised(example_text(example))
    for other, lines in examples.items():
        if any(normalised(example_text(line)) == text for line in lines):
            if other != intent:
                raise ValueError(f"{text!r} is already an example of {other} in {path}")
            return False
    examples.setdefault(intent, []).append(example)
    write_examples(path, examples)
    return True


def example_places(paths: Iterable[Path]) -> dict[str, list[ExamplePlace]]:
    """Normalised plain text -> every file and intent it is an example of."""
    places: dict[str, list[ExamplePlace]] = {}
    for path in paths:
        for intent, example in iter_examples(path):
            place = ExamplePlace(path, intent)
            found = places.setdefault(normalised(example_text(example)), [])
            if place not in found:
                found.append(place)
    return places


def examples_by_text(paths: Iterable[Path]) -> dict[str, str]:
    """Normalised plain text -> its intent (the first file's, when files disagree)."""
    return {text: found[0].intent for text, found in example_places(paths).items()}
