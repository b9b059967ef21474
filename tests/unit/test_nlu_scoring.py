"""The understanding figures' arithmetic (cli.nlu_scoring) and the bars they are held to (cli.nlu_commands)."""

from __future__ import annotations

from cli.nlu_commands import missed_bars
from cli.nlu_evaluation import NluResult
from cli.nlu_scoring import Example, entity_scores, intent_scores


def test_intent_macro_f1_counts_a_fallback_as_a_miss_not_as_a_class():
    f1, per_intent = intent_scores(["greet", "greet", "thank"], ["greet", "nlu_fallback", "thank"])
    assert per_intent == {"greet": 2 / 3, "thank": 1.0} and f1 == (2 / 3 + 1) / 2


def test_entity_f1_is_per_token_and_lists_the_messages_labelled_otherwise():
    text = "two black hoodies"
    example = Example(text, "add_to_cart", (("color", 4, 9, "black"), ("product", 10, 17, "hoodie")))
    right = {"entities": [{"entity": "color", "start": 4, "end": 9}, {"entity": "product", "start": 10, "end": 17}]}
    wrong = {"entities": [{"entity": "color", "start": 4, "end": 9}, {"entity": "category", "start": 10, "end": 17}]}
    assert entity_scores([example], [right]) == (1.0, {"color": 1.0, "product": 1.0}, [])
    f1, per_entity, errors = entity_scores([example], [wrong])
    assert f1 == 0.5 and per_entity["product"] == 0.0
    assert errors == [
        {
            "text": text,
            "expected": [("color", "black"), ("product", "hoodies")],
            "found": [("color", "black"), ("category", "hoodies")],
        }
    ]


def test_a_figure_under_its_bar_is_reported_and_the_demo_has_its_own_bars():
    unseen = NluResult("bookshop", "unseen", 10, 0.96, 0.90, 0.94, scenarios_passed=19, scenarios_total=20)
    demo = NluResult("demo", "learned", 10, 0.97, 0.99, None)
    assert missed_bars([unseen, demo]) == [
        "bookshop unseen: resolution_f1 0.940 < 0.95",
        "demo learned: intent_macro_f1 0.970 < 0.974",
    ]
