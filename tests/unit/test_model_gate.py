"""The gate a candidate model passes before it may go live (checkout.trainer.gate)."""

from __future__ import annotations

import pytest

from checkout.trainer.bars import BARS, Bar, demo_bars
from checkout.trainer.gate import GateResult, Scores, check_gate
from cli.model_compare import load_heldout, score

LIVE = Scores(0.980, 0.975, {"greet": (1.0, 12), "thank": (0.95, 4)}, {"intent_macro_f1": 0.980, "entity_f1": 0.975})


def candidate(**changes) -> Scores:
    values = {
        "intent_f1": LIVE.intent_f1,
        "entity_f1": LIVE.entity_f1,
        "per_intent": dict(LIVE.per_intent),
        "bar_figures": dict(LIVE.bar_figures),
    }
    values.update(changes)
    return Scores(**values)


def test_a_candidate_as_good_as_the_live_model_passes():
    assert check_gate(LIVE, candidate(), demo_bars()) == GateResult(True, ())


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"intent_f1": 0.974}, "intent macro-F1 0.974 is 0.006 below the live model's 0.980"),
        ({"entity_f1": 0.969}, "entity F1 0.969 is 0.006 below the live model's 0.975"),
        ({"per_intent": {"greet": (0.94, 12), "thank": (0.95, 4)}}, "intent greet (12 test examples): F1 0.940"),
        ({"bar_figures": {"intent_macro_f1": 0.97, "entity_f1": 0.975}}, "intent_macro_f1 0.970 is below"),
    ],
)
def test_each_rule_refuses_with_its_reason(changes, reason):
    result = check_gate(LIVE, candidate(**changes), demo_bars())
    assert not result.passed
    assert len(result.reasons) == 1 and result.reasons[0].startswith(reason), result.reasons


def test_drops_within_the_tolerances_pass():
    result = check_gate(
        LIVE,
        candidate(intent_f1=0.975, entity_f1=0.970, per_intent={"greet": (0.95, 12), "thank": (0.95, 4)}),
        demo_bars(),
    )
    assert result.passed, result.reasons


def test_an_intent_with_fewer_than_five_test_examples_may_swing():
    assert check_gate(LIVE, candidate(per_intent={"greet": (1.0, 12), "thank": (0.5, 4)}), demo_bars()).passed


def test_with_nothing_live_only_the_bars_count():
    assert check_gate(None, candidate(intent_f1=0.5), demo_bars()).passed
    low = candidate(bar_figures={"intent_macro_f1": 0.9, "entity_f1": 0.9})
    assert len(check_gate(None, low, demo_bars()).reasons) == 2


def test_the_comparison_checks_the_demo_bars_of_shop_nlu_evaluate():
    assert set(demo_bars()) == {b for b in BARS if b.condition == "demo"}
    assert {b.figure for b in demo_bars()} == {"intent_macro_f1", "entity_f1"}
    # a figure a comparison does not measure (scenarios) is not a reason to refuse
    assert check_gate(LIVE, candidate(), [Bar("scenario_success", "demo", 0.99)]).passed


def test_scores_survive_the_registrys_json():
    assert Scores.from_json(LIVE.as_json()) == LIVE


def test_a_candidate_made_worse_on_purpose_is_refused():
    """Scored on the real held-out files as `shop nlu compare` scores them: the live model reads every message
    right; the candidate reads a quarter of the add_to_cart messages as browse_catalog and drops the entities
    of every tenth message."""
    heldout = load_heldout()
    right = [
        {"intent": e.intent, "entities": [{"entity": n, "start": s, "end": t} for n, s, t, _ in e.entities]}
        for e in heldout.examples
    ]
    worse = [dict(parse) for parse in right]
    add_to_cart = [i for i, e in enumerate(heldout.examples) if e.intent == "add_to_cart"]
    assert len(add_to_cart) >= 8
    for i in add_to_cart[::4]:
        worse[i]["intent"] = "browse_catalog"
    for i in range(0, len(worse), 10):
        worse[i]["entities"] = []
    live, bad = Scores.from_json(score(heldout, right)), Scores.from_json(score(heldout, worse))
    assert check_gate(live, live, demo_bars()).passed
    result = check_gate(live, bad, demo_bars())
    assert not result.passed
    text = "\n".join(result.reasons)
    for expected in ("intent macro-F1", "entity F1", "intent add_to_cart", "below the project's bar"):
        assert expected in text, text
