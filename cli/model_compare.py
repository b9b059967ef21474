"""`shop nlu compare`: the live model and a candidate scored on the same held-out messages through one Rasa
server (started with the first model; the second is loaded into it with `PUT /model`, as activation does), the
scores and the gate's verdict recorded in the registry.

A model's scores are a function of the model, the held-out files, the demo catalog and our NLU component, so
they are kept with a digest of those inputs: the live model is scored once, not at every comparison.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from checkout.db.models import NluModel
from checkout.settings import PROJECT_ROOT as ROOT
from checkout.trainer.bars import demo_bars
from checkout.trainer.comparison import new_confusions
from checkout.trainer.gate import GateResult, Scores, check_gate
from checkout.trainer.model_files import model_file
from checkout.trainer.registry import (
    ModelNotFound,
    find_model,
    live_model,
    newest_candidate,
    record_scores,
)
from cli.context import AppContext
from cli.nlu_scoring import Example, entity_scores, intent_scores, load_examples
from cli.scenario_runner import running_shop

HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"  # the demo catalog's held-out file: the bars were measured on it
HELDOUT_REVIEWED = ROOT / "tests" / "nlu" / "heldout_reviewed.yml"  # real chats' messages a trainer set aside
DEMO_CATALOG = ROOT / "data" / "catalog" / "demo.csv"
LOG = ROOT / "results" / "nlu" / "compare-shop.log"


@dataclass(frozen=True)
class HeldOut:
    files: tuple[Path, ...]
    examples: list[Example]
    bar_examples: int  # the first ones, from HELDOUT
    digest: str


def load_heldout() -> HeldOut:
    files = tuple(f for f in (HELDOUT, HELDOUT_REVIEWED) if f.exists())
    examples = [example for f in files for example in load_examples(f)]
    digest = hashlib.sha256()
    code = [
        *sorted((ROOT / "nlu_components").glob("*.py")),
        *sorted((ROOT / "checkout" / "understanding").glob("*.py")),
    ]
    for path in (*files, DEMO_CATALOG, *code):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return HeldOut(files, examples, len(load_examples(HELDOUT)), digest.hexdigest()[:16])


def score(heldout: HeldOut, parses: list[dict]) -> dict:
    """The scores as the registry keeps them (gate.Scores' JSON, with the errors and the inputs' digest)."""
    gold, predicted = [e.intent for e in heldout.examples], [p["intent"] for p in parses]
    intent_f1, per_intent = intent_scores(gold, predicted)
    entity_f1, _, _ = entity_scores(heldout.examples, parses)
    n = heldout.bar_examples
    support = Counter(gold)
    scores = Scores(
        intent_f1,
        entity_f1,
        {name: (f1, support[name]) for name, f1 in per_intent.items()},
        {
            "intent_macro_f1": intent_scores(gold[:n], predicted[:n])[0],
            "entity_f1": entity_scores(heldout.examples[:n], parses[:n])[0],
        },
    )
    errors = [[e.text, g, p] for e, g, p in zip(heldout.examples, gold, predicted, strict=True) if g != p]
    return {**scores.as_json(), "examples": len(gold), "heldout": heldout.digest, "errors": errors}


def evaluate(app: AppContext, models: list[Path], heldout: HeldOut, echo: Callable[[str], None]) -> list[dict]:
    """Each model's scores, parsed by one Rasa server at low priority (the shop may be serving shoppers)."""
    results = []
    with running_shop(app.settings, DEMO_CATALOG, models[0], LOG, with_actions=False, low_priority=True) as shop:
        for index, model in enumerate(models):
            if index:
                shop.assistant.load_model(str(model.resolve()))
            echo(f"scoring {model.name} on {len(heldout.examples)} held-out messages")
            results.append(score(heldout, [shop.parse(e.text) for e in heldout.examples]))
    return results


def compare_models(
    app: AppContext, live_id: str | None = None, candidate_id: str | None = None, echo: Callable[[str], None] = print
) -> dict:
    """The comparison report (`shop nlu compare --format json`); the scores and the gate go to the registry."""
    with app.db.reading() as session:
        live = find_model(session, live_id) if live_id else live_model(session)
        candidate = find_model(session, candidate_id) if candidate_id else newest_candidate(session)
    if live is None:
        raise ModelNotFound("no live model in the registry (`shop run` registers the one it starts with)")
    if candidate is None:
        raise ModelNotFound("no candidate model: train one first (shop train)")
    if candidate.model_id == live.model_id:
        raise ValueError(f"nothing to compare: model {live.model_id} is the live model itself")
    heldout = load_heldout()
    stale = [row for row in (live, candidate) if (row.scores or {}).get("heldout") != heldout.digest]
    if stale:  # the live model's scores are kept until the held-out files or the pipeline's code change
        for row, scores in zip(stale, evaluate(app, [_file(app, row) for row in stale], heldout, echo), strict=True):
            row.scores = scores
            record_scores(app.db, row.model_id, scores)
    assert live.scores is not None and candidate.scores is not None  # scored above when stale
    gate = check_gate(Scores.from_json(live.scores), Scores.from_json(candidate.scores), demo_bars())
    gate_json = {
        "passed": gate.passed,
        "reasons": list(gate.reasons),
        "against": live.model_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    record_scores(app.db, candidate.model_id, candidate.scores, gate_json)
    return report(live, candidate, gate, heldout)


def _file(app: AppContext, row: NluModel) -> Path:
    path = model_file(row, app.settings.model_cache_path)
    if path is None:
        raise ModelNotFound(f"model {row.model_id}: its file {row.path} is gone")
    return path


def report(live: NluModel, candidate: NluModel, gate: GateResult, heldout: HeldOut) -> dict:
    a, b = live.scores or {}, candidate.scores or {}
    names = sorted(set(a["per_intent"]) | set(b["per_intent"]))
    return {
        "live": {"model_id": live.model_id, "intent_f1": a["intent_f1"], "entity_f1": a["entity_f1"]},
        "candidate": {"model_id": candidate.model_id, "intent_f1": b["intent_f1"], "entity_f1": b["entity_f1"]},
        "intents": {
            name: {
                "live": a["per_intent"].get(name, [None])[0],
                "candidate": b["per_intent"].get(name, [None])[0],
                "support": (b["per_intent"].get(name) or a["per_intent"][name])[1],
            }
            for name in names
        },
        "new_confusions": [asdict(c) | {"texts": list(c.texts)} for c in new_confusions(a["errors"], b["errors"])],
        "gate": {"passed": gate.passed, "reasons": list(gate.reasons)},
        "heldout": [str(f.relative_to(ROOT)) for f in heldout.files],
        "examples": len(heldout.examples),
    }
