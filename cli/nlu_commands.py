"""`shop nlu evaluate`: how well the assistant understands messages it never saw in training, on the
demo catalog and on catalogs it never saw (cli.nlu_evaluation)."""

from __future__ import annotations

import sys

import click

from checkout.trainer.bars import BARS
from cli.annotation_commands import nlu_annotate, nlu_ignore
from cli.context import AppContext, pass_app
from cli.nlu_evaluation import NluResult, evaluate_set, evaluation_sets, evaluation_shop, learned_model, save
from cli.training import TrainingFailed, ensure_model


def missed_bars(results: list[NluResult]) -> list[str]:
    missed = []
    for result in results:
        condition = "demo" if result.catalog == "demo" else result.condition
        for bar in BARS:
            value = getattr(result, bar.figure)
            if bar.condition == condition and value is not None and value < bar.minimum:
                missed.append(f"{result.catalog} {result.condition}: {bar.figure} {value:.3f} < {bar.minimum}")
    return missed


def run_evaluation(
    app: AppContext, conditions: tuple[str, ...], catalogs: tuple[str, ...], scenarios: bool = True, echo=click.echo
) -> list[NluResult]:
    default_model = ensure_model(app.settings.model_cache_path, echo=echo)
    chosen = [e for e in evaluation_sets() if not catalogs or e.name in catalogs]
    models_of = {}  # every model trained (or taken from the cache) before the shop starts, so none trains beside it
    for evaluation in chosen:
        if evaluation.learned_by_default:
            models_of[evaluation.name] = {"learned": default_model}
        else:
            models_of[evaluation.name] = {
                condition: default_model
                if condition == "unseen"
                else learned_model(evaluation, app.settings.model_cache_path, echo)
                for condition in conditions
            }
    if not chosen:
        return []
    results = []
    with_actions = scenarios and any(e.scenarios.exists() for e in chosen)
    with evaluation_shop(app.settings, chosen[0], default_model, with_actions) as shop:
        for evaluation in chosen:
            results.extend(evaluate_set(evaluation, models_of[evaluation.name], shop, scenarios, echo))
    return results


@click.group()
def nlu():
    """Measure what the assistant understands."""


nlu.add_command(nlu_annotate)
nlu.add_command(nlu_ignore)


@nlu.command("evaluate")
@click.option(
    "--condition",
    "conditions",
    type=click.Choice(["unseen", "learned"]),
    multiple=True,
    default=("unseen", "learned"),
    show_default=True,
    help="unseen: the default model on a catalog it never saw; learned: after training on that catalog.",
)
@click.option(
    "--catalog", "catalogs", multiple=True, help="Only these evaluation sets (demo, or a tests/catalogs/ folder)."
)
@click.option("--no-scenarios", is_flag=True, help="Only the held-out messages, not the scripted conversations.")
@click.option("--check", is_flag=True, help="Exit 1 when a figure is below its bar.")
@pass_app
def nlu_evaluate(
    app: AppContext, conditions: tuple[str, ...], catalogs: tuple[str, ...], no_scenarios: bool, check: bool
):
    """Intent macro-F1, entity F1 and product/category resolution F1 per catalog and condition
    (details, errors included, in results/nlu/)."""
    try:
        results = run_evaluation(app, conditions, catalogs, scenarios=not no_scenarios)
    except (TrainingFailed, RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{'catalog':<12} {'condition':<9} {'examples':>8} {'intent F1':>9} {'entity F1':>9} "
        f"{'resolution F1':>13} {'scenarios':>13}"
    )
    for result in results:
        save(result)
        scenarios = (
            f"{result.scenarios_passed}/{result.scenarios_total} {result.scenario_success:.0%}"
            if result.scenarios_total
            else "-"
        )
        resolution = "-" if result.resolution_f1 is None else f"{result.resolution_f1:.3f}"
        click.echo(
            f"{result.catalog:<12} {result.condition:<9} {result.examples:>8} {result.intent_macro_f1:>9.3f} "
            f"{result.entity_f1:>9.3f} {resolution:>13} {scenarios:>13}"
        )
    missed = missed_bars(results)
    for line in missed:
        click.echo(f"below the bar: {line}")
    if not missed:
        click.echo("every figure meets its bar")
    if check and missed:
        sys.exit(1)
