"""The models as the trainer's dashboard shows them: each with its recorded scores and gate, and the comparison of
the newest candidate with the model it was compared against, read back from the registry (`shop nlu compare` and
the shop's trainer record them; nothing is scored here)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from checkout.db.models import NluModel
from checkout.trainer.registry import (
    ModelNotFound,
    find_model,
    list_models,
    live_model,
    newest_candidate,
    previous_live,
)


@dataclass(frozen=True)
class ModelSummary:
    model_id: str
    state: str
    origin: str
    trained_at: datetime
    live_since: datetime | None
    live_until: datetime | None
    intent_f1: float | None
    entity_f1: float | None
    gate_passed: bool | None  # None: never compared
    gate_reasons: tuple[str, ...]
    gate_against: str | None
    override_reason: str | None
    activated_by: str | None


@dataclass(frozen=True)
class IntentScore:
    name: str
    live: float | None  # None: the intent had no test examples for that model's scoring
    candidate: float | None
    support: int

    @property
    def change(self) -> float | None:
        return None if self.live is None or self.candidate is None else self.candidate - self.live


@dataclass(frozen=True)
class Confusion:
    """An (expected, predicted) mistake the candidate makes more often than the live model."""

    expected: str
    predicted: str
    live: int
    candidate: int
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    candidate: ModelSummary
    against: ModelSummary  # the model it was compared with
    current: bool  # False: another model went live since, so the verdict no longer applies (compare again)
    compared_at: str | None
    examples: int | None
    intents: tuple[IntentScore, ...]
    new_confusions: tuple[Confusion, ...]


@dataclass(frozen=True)
class ModelsOverview:
    live: ModelSummary | None
    previous: ModelSummary | None  # what "roll back" activates
    candidate: ModelSummary | None  # the newest candidate: what "activate" offers
    comparison: Comparison | None  # of `candidate`, once recorded
    models: tuple[ModelSummary, ...]  # every model, newest first


def models_overview(session: Session) -> ModelsOverview:
    live, candidate = live_model(session), newest_candidate(session)
    previous = previous_live(session)
    return ModelsOverview(
        _summary(live),
        _summary(previous),
        _summary(candidate),
        _comparison(session, candidate, live) if candidate is not None else None,
        tuple(summary(row) for row in list_models(session)),
    )


def summary(row: NluModel) -> ModelSummary:
    scores, gate = row.scores or {}, row.gate or {}
    return ModelSummary(
        row.model_id,
        row.state,
        row.origin,
        row.trained_at,
        row.live_since,
        row.live_until,
        scores.get("intent_f1"),
        scores.get("entity_f1"),
        bool(gate["passed"]) if "passed" in gate else None,
        tuple(gate.get("reasons") or ()),
        gate.get("against"),
        row.override_reason,
        row.activated_by,
    )


def _summary(row: NluModel | None) -> ModelSummary | None:
    return summary(row) if row is not None else None


def _comparison(session: Session, candidate: NluModel, live: NluModel | None) -> Comparison | None:
    """The candidate's recorded comparison; None until its gate and both models' scores are recorded."""
    gate, b = candidate.gate or {}, candidate.scores or {}
    if not gate.get("against") or "per_intent" not in b:
        return None
    try:
        against = find_model(session, gate["against"])
    except ModelNotFound:
        return None
    a = against.scores or {}
    if "per_intent" not in a:
        return None
    names = sorted(set(a["per_intent"]) | set(b["per_intent"]))
    intents = tuple(
        IntentScore(
            name,
            _f1(a["per_intent"].get(name)),
            _f1(b["per_intent"].get(name)),
            int((b["per_intent"].get(name) or a["per_intent"][name])[1]),
        )
        for name in names
    )
    return Comparison(
        summary(candidate),
        summary(against),
        live is not None and live.id == against.id,
        gate.get("at"),
        b.get("examples"),
        intents,
        new_confusions(a.get("errors") or [], b.get("errors") or []),
    )


def _f1(figures: list | None) -> float | None:
    return float(figures[0]) if figures else None


def new_confusions(live_errors: list, candidate_errors: list) -> tuple[Confusion, ...]:
    """(expected, predicted) pairs the candidate gets wrong more often than the live model, with up to five of its
    messages. Errors are recorded as [text, expected, predicted] (cli/model_compare.py's scores)."""
    before = Counter((expected, predicted) for _, expected, predicted in live_errors)
    after = Counter((expected, predicted) for _, expected, predicted in candidate_errors)
    return tuple(
        Confusion(
            expected,
            predicted,
            before[expected, predicted],
            count,
            tuple(t for t, e, p in candidate_errors if (e, p) == (expected, predicted))[:5],
        )
        for (expected, predicted), count in sorted(after.items())
        if count > before[expected, predicted]
    )
