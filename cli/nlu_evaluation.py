"""`shop nlu evaluate`: what the assistant understands on catalogs it was never trained on.

Each evaluation set is a catalog with a held-out file written apart from the training data. Two
conditions: **unseen** (the shop's default model, the catalog just imported, no training) and **learned**
(a model trained with that catalog's words, as the shop trains after a catalog change). The demo catalog
is the one the default model learned, so it has one condition.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from checkout.settings import PROJECT_ROOT, Settings
from cli.catalog_training import terms_from_csv, write_training_root_for_csv
from cli.nlu_scoring import entity_scores, intent_scores, load_examples, resolution_scores
from cli.scenario_runner import Shop, load_scenarios, run_scenarios, running_shop
from cli.training import ensure_model

RESULTS = PROJECT_ROOT / "results" / "nlu"
CATALOGS = PROJECT_ROOT / "tests" / "catalogs"
TRAINING_ROOTS = PROJECT_ROOT / "var" / "training"


@dataclass(frozen=True)
class EvaluationSet:
    name: str
    heldout: Path
    catalog: Path
    # The default model was trained on this catalog (the demo), whose held-out file was written before
    # product values were annotated, so it has no resolution figure.
    learned_by_default: bool = False

    @property
    def scenarios(self) -> Path:
        return self.heldout.parent / "scenarios.yml"


def evaluation_sets() -> list[EvaluationSet]:
    sets = [
        EvaluationSet(
            "demo",
            PROJECT_ROOT / "tests" / "nlu" / "heldout.yml",
            PROJECT_ROOT / "data" / "catalog" / "demo.csv",
            learned_by_default=True,
        )
    ]
    for folder in sorted(p for p in CATALOGS.iterdir() if (p / "heldout.yml").exists()):
        sets.append(EvaluationSet(folder.name, folder / "heldout.yml", folder / "catalog.csv"))
    return sets


@dataclass
class NluResult:
    catalog: str
    condition: str  # unseen or learned
    examples: int
    intent_macro_f1: float
    entity_f1: float
    resolution_f1: float | None  # None: the held-out file's annotations carry no catalog values (demo)
    per_intent: dict[str, float] = field(default_factory=dict)
    per_entity: dict[str, float] = field(default_factory=dict)
    intent_errors: list[dict] = field(default_factory=list)
    resolution_misses: list[dict] = field(default_factory=list)
    entity_errors: list[dict] = field(default_factory=list)
    scenarios_passed: int = 0
    scenarios_total: int = 0  # 0: the set has no scenario suite, or it was not run
    scenario_failures: list[dict] = field(default_factory=list)

    @property
    def scenario_success(self) -> float | None:
        return self.scenarios_passed / self.scenarios_total if self.scenarios_total else None


def learned_model(evaluation: EvaluationSet, cache_dir: Path, echo=print) -> Path:
    root = write_training_root_for_csv(evaluation.catalog, TRAINING_ROOTS / evaluation.name)
    return ensure_model(cache_dir, echo=echo, root=root)


def score_heldout(evaluation: EvaluationSet, condition: str, parse: Callable[[str], dict]) -> NluResult:
    """The held-out messages parsed by the running pipeline, scored against their annotations."""
    examples = load_examples(evaluation.heldout)
    parses = [parse(e.text) for e in examples]
    intent_f1, per_intent = intent_scores([e.intent for e in examples], [p["intent"] for p in parses])
    entity_f1, per_entity, entity_errors = entity_scores(examples, parses)
    resolution_f1, misses = (
        (None, []) if evaluation.learned_by_default else resolution_scores(examples, terms_from_csv(evaluation.catalog))
    )
    errors = [
        {"text": e.text, "expected": e.intent, "predicted": p["intent"]}
        for e, p in zip(examples, parses, strict=True)
        if e.intent != p["intent"]
    ]
    return NluResult(
        evaluation.name,
        condition,
        len(examples),
        intent_f1,
        entity_f1,
        resolution_f1,
        per_intent,
        per_entity,
        errors,
        misses,
        entity_errors,
    )


def save(result: NluResult, out: Path = RESULTS) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{result.catalog}-{result.condition}.json"
    path.write_text(json.dumps(asdict(result), indent=1, ensure_ascii=False))
    return path


def evaluate_set(
    evaluation: EvaluationSet, models: dict[str, Path], shop: Shop, with_scenarios: bool = True, echo=print
) -> list[NluResult]:
    """The set's held-out messages and scripted conversations, per condition, in a running shop given the set's
    catalog and each condition's model in turn (the one it serves already first), so parses and conversations go
    through exactly what a shopper reaches. Results in the order of `models`."""
    scenarios = load_scenarios(evaluation.scenarios) if with_scenarios and evaluation.scenarios.exists() else []
    shop.use_catalog(evaluation.catalog)
    results = {}
    for condition in sorted(models, key=lambda c: models[c] != shop.model):
        shop.use_model(models[condition])
        result = score_heldout(evaluation, condition, shop.parse)
        if scenarios:
            outcomes = run_scenarios(shop, scenarios, condition)
            result.scenarios_total, result.scenarios_passed = len(outcomes), sum(o.passed for o in outcomes)
            result.scenario_failures = [asdict(o) for o in outcomes if not o.passed]
            echo(f"{evaluation.name} {condition}: {result.scenarios_passed}/{result.scenarios_total} scenarios")
        results[condition] = result
    return [results[condition] for condition in models]


@contextlib.contextmanager
def evaluation_shop(settings: Settings, first: EvaluationSet, model: Path, with_actions: bool):
    """One running shop for every set: Rasa starts once (about a minute), and each set's catalog is imported into
    it as a seller's would be."""
    with running_shop(settings, first.catalog, model, RESULTS / "evaluation-shop.log", with_actions) as shop:
        yield shop
