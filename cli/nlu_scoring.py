"""Scores for `shop nlu evaluate`: intent macro-F1, entity F1 per token (as Rasa counts it) and product /
category resolution F1, from held-out examples in Rasa's YAML and the parses of the whole pipeline."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from checkout.understanding.reading import read_message
from checkout.understanding.terms import CatalogTerms

_MARKUP = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]+\}))")
_TOKEN = re.compile(r"[^\W_]+(?:['’\-.][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[str, int, int, str], ...]  # (entity, start, end, value)


def load_examples(path: Path) -> list[Example]:
    examples = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append(_parse_markup(line[2:].strip(), block["intent"]))
    return examples


def _parse_markup(marked: str, intent: str) -> Example:
    text, entities, position = "", [], 0
    for match in _MARKUP.finditer(marked):
        text += marked[position : match.start()]
        start = len(text)
        text += match["text"]
        if match["entity"]:
            entity, value = match["entity"], match["text"]
        else:
            spec = json.loads(match["json"])
            entity, value = spec["entity"], str(spec.get("value", match["text"]))
        entities.append((entity, start, len(text), value))
        position = match.end()
    return Example(text + marked[position:], intent, tuple(entities))


def parse_summary(text: str, result: dict) -> dict:
    """What scoring needs of a Rasa parse (`POST /model/parse`): the final intent and entities."""
    return {
        "text": text,
        "intent": (result.get("intent") or {}).get("name"),
        "confidence": (result.get("intent") or {}).get("confidence"),
        "entities": [
            {k: e.get(k) for k in ("entity", "start", "end", "value", "extractor")}
            for e in result.get("entities") or []
        ],
    }


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def intent_scores(gold: list[str], predicted: list[str]) -> tuple[float, dict[str, float]]:
    """Macro-F1 over the intents of the held-out file: a prediction of another label (nlu_fallback) is a
    miss of the true intent, not a class of its own with an F1 of 0 (which Rasa's report adds)."""
    per_label = {}
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        per_label[label] = f1(
            tp,
            sum(p == label != g for g, p in zip(gold, predicted, strict=True)),
            sum(g == label != p for g, p in zip(gold, predicted, strict=True)),
        )
    return sum(per_label.values()) / len(per_label), per_label


def _token_labels(text: str, spans) -> list[str | None]:
    labels = []
    for token in _TOKEN.finditer(text):
        labels.append(next((e for e, s, t in spans if s < token.end() and token.start() < t), None))
    return labels


def entity_scores(examples: list[Example], parses: list[dict]) -> tuple[float, dict[str, float], list[dict]]:
    """Entity F1 per token, per entity kind, and the messages whose tokens were labelled otherwise."""
    counts: Counter = Counter()
    errors = []
    for example, parse in zip(examples, parses, strict=True):
        gold = _token_labels(example.text, [(e, s, t) for e, s, t, _ in example.entities])
        predicted = _token_labels(example.text, [(e["entity"], e["start"], e["end"]) for e in parse["entities"]])
        if gold != predicted:
            errors.append(
                {
                    "text": example.text,
                    "expected": [(e, example.text[s:t]) for e, s, t, _ in example.entities],
                    "found": [(e["entity"], example.text[e["start"] : e["end"]]) for e in parse["entities"]],
                }
            )
        for g, p in zip(gold, predicted, strict=True):
            if g is not None and g == p:
                counts["tp", g] += 1
            else:
                if p is not None:
                    counts["fp", p] += 1
                if g is not None:
                    counts["fn", g] += 1
    labels = sorted({label for _, label in counts})
    per_label = {label: f1(counts["tp", label], counts["fp", label], counts["fn", label]) for label in labels}
    total = [sum(counts[kind, label] for label in labels) for kind in ("tp", "fp", "fn")]
    return f1(*total), per_label, errors


def resolution_scores(examples: list[Example], terms: CatalogTerms) -> tuple[float, list[dict]]:
    """Products and categories the reader finds in each text, against the annotated catalog values."""
    canonical = {("product", p.name.casefold()): p.name for p in terms.products}
    canonical.update({("category", c.casefold()): c for c in terms.categories})
    tp = fp = fn = 0
    misses = []
    for example in examples:
        # an annotation names a catalog product or category by its value, in any case; others (a product
        # the shop does not sell) expect nothing to be resolved
        gold = {(e, canonical[e, v.casefold()]) for e, _, _, v in example.entities if (e, v.casefold()) in canonical}
        reading = read_message(terms, example.text)
        found = {("product", c[0]) for c in reading.products if len(c) == 1} | {
            ("category", c) for c in reading.categories
        }
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
        if gold != found:
            misses.append({"text": example.text, "expected": sorted(gold), "found": sorted(found)})
    return f1(tp, fp, fn), misses
