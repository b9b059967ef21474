"""`shop train` and `shop learn`: a model that knows the shop's own catalog.

The project's default model learned the demo catalog's words (data/catalog_nlu.generated.yml); the shop's
catalog is read by the NLU component from the first message. A model trained on the shop's catalog words
is better still: `shop train` trains it now; `shop learn` (started by `shop run`) trains it after every
catalog change and loads it into the running Rasa without a restart.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from checkout.assistant_client import AssistantClient, AssistantUnavailable
from checkout.db.migrate import upgrade
from checkout.learning import learning_dir, record_status, take_request
from cli.catalog_training import write_training_root
from cli.context import AppContext, pass_app
from cli.training import TrainingFailed, ensure_model, model_fingerprint

# A catalog import is often followed by a few edits: train once they settle.
SETTLE_SECONDS = 20.0
POLL_SECONDS = 2.0


def shop_training_root(app: AppContext) -> Path:
    """The project's training inputs with the shop's catalog words, under var/."""
    with app.db.reading() as session:
        return write_training_root(session, learning_dir(app.settings).parent / "training" / "shop")


def cached_shop_model(app: AppContext) -> Path | None:
    """The model that learned the shop's current catalog, when one was trained already."""
    root = shop_training_root(app)
    for candidate in (
        root / "models" / f"{model_fingerprint(root)}.tar.gz",
        app.settings.model_cache_path / f"{model_fingerprint(root)}.tar.gz",
    ):
        if candidate.exists():
            return candidate
    return None


def learn_catalog(app: AppContext, echo=click.echo, low_priority: bool = False, force: bool = False) -> Path:
    return ensure_model(
        app.settings.model_cache_path, force=force, echo=echo, root=shop_training_root(app), low_priority=low_priority
    )


@click.command("train")
@click.option("--force", is_flag=True, help="Train even when a model for these inputs exists.")
@pass_app
def train(app: AppContext, force: bool):
    """Train the model on the shop's catalog and the training data (skipped when nothing changed)."""
    upgrade(app.settings.database_url)  # a fresh install has no tables yet to read the catalog from
    try:
        click.echo(str(learn_catalog(app, force=force)))
    except TrainingFailed as exc:
        raise click.ClickException(str(exc)) from None


@click.command("learn")
@click.option("--rasa-url", help="The Rasa server to load new models into (default: RASA_HOST:RASA_PORT).")
@click.option("--once", is_flag=True, help="Learn the pending change, if any, and stop.")
@pass_app
def learn(app: AppContext, rasa_url: str | None, once: bool):
    """Train after every catalog change and load the new model into the running Rasa (`shop run` starts it)."""
    assistant = AssistantClient(rasa_url or app.settings.rasa_url, app.settings.rasa_api_token)
    while True:
        if take_request(app.settings, 0 if once else SETTLE_SECONDS) is not None:
            learn_and_load(app, assistant)
        if once:
            return
        time.sleep(POLL_SECONDS)


def learn_and_load(app: AppContext, assistant: AssistantClient) -> None:
    record_status(app.settings, "training")
    try:
        model = learn_catalog(app, echo=lambda line: click.echo(line), low_priority=True)
        record_status(app.settings, "loading", model.name)
        assistant.load_model(str(model.resolve()))
    except (TrainingFailed, AssistantUnavailable) as exc:
        record_status(app.settings, "failed", str(exc)[:200])
        click.echo(f"learning the catalog failed: {exc}", err=True)
        return
    record_status(app.settings, "learned", model.name)
    click.echo(f"loaded {model.name} into Rasa")
