"""The gate a candidate model passes before it may go live: not worse than the live model on the held-out
messages, and the project's bars met. Pure: scores in, a verdict with its reasons out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from checkout.trainer.bars import Bar

# Two models trained on the same data differ by about this much from run to run (the random seed is fixed,
# yet data order and thread scheduling are not): a smaller drop is noise, not a regression.
OVERALL_TOLERANCE = 0.005
# An intent with few test examples swings by 1/support with each message; from 5 examples on a drop of more
# than 0.05 is a message the candidate no longer understands.
INTENT_TOLERANCE = 0.05
INTENT_MIN_SUPPORT = 5


@dataclass(frozen=True)
class Scores:
    """A model's scores on the held-out messages."""

    intent_f1: float  # macro-F1 over the intents of the held-out files
    entity_f1: float  # per token, as Rasa counts it
    per_intent: dict[str, tuple[float, int]] = field(default_factory=dict)  # intent -> (F1, test examples)
    # The figures the project's bars were measured on (the demo held-out file alone): figure name -> value
    bar_figures: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "intent_f1": self.intent_f1,
            "entity_f1": self.entity_f1,
            "per_intent": {name: [f1, support] for name, (f1, support) in self.per_intent.items()},
            "bar_figures": dict(self.bar_figures),
        }

    @classmethod
    def from_json(cls, data: dict) -> Scores:
        return cls(
            float(data["intent_f1"]),
            float(data["entity_f1"]),
            {name: (float(f1), int(support)) for name, (f1, support) in (data.get("per_intent") or {}).items()},
            {name: float(value) for name, value in (data.get("bar_figures") or {}).items()},
        )


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reasons: tuple[str, ...] = ()


def check_gate(live: Scores | None, candidate: Scores, bars: Iterable[Bar]) -> GateResult:
    """Whether `candidate` may replace `live` (None: nothing is live yet, only the bars count), and why not."""
    reasons: list[str] = []
    if live is not None:
        reasons += _overall_drops(live, candidate)
        reasons += _intent_drops(live, candidate)
    for bar in bars:
        value = candidate.bar_figures.get(bar.figure)
        if value is not None and value < bar.minimum:
            reasons.append(f"{bar.figure} {value:.3f} is below the project's bar of {bar.minimum}")
    return GateResult(not reasons, tuple(reasons))


def _overall_drops(live: Scores, candidate: Scores) -> list[str]:
    reasons = []
    for name, before, after in (
        ("intent macro-F1", live.intent_f1, candidate.intent_f1),
        ("entity F1", live.entity_f1, candidate.entity_f1),
    ):
        if _dropped(before, after, OVERALL_TOLERANCE):
            reasons.append(
                f"{name} {after:.3f} is {before - after:.3f} below the live model's {before:.3f} "
                f"(allowed: {OVERALL_TOLERANCE})"
            )
    return reasons


def _intent_drops(live: Scores, candidate: Scores) -> list[str]:
    reasons = []
    for intent, (after, support) in sorted(candidate.per_intent.items()):
        if intent not in live.per_intent or support < INTENT_MIN_SUPPORT:
            continue
        before = live.per_intent[intent][0]
        if _dropped(before, after, INTENT_TOLERANCE):
            reasons.append(
                f"intent {intent} ({support} test examples): F1 {after:.3f} is {before - after:.3f} below "
                f"the live model's {before:.3f} (allowed: {INTENT_TOLERANCE})"
            )
    return reasons


def _dropped(before: float, after: float, tolerance: float) -> bool:
    # rounded: a drop of exactly the tolerance is allowed, whatever the float arithmetic makes of it
    return round(before - after, 9) > tolerance
