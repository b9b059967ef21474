"""`shop learn`: a model that knows the shop's own catalog, and the candidates a trainer asks for.

The project's default model learned the demo catalog's words (data/catalog_nlu.generated.yml); the shop's
catalog is read by the NLU component from the first message. A model trained on the shop's catalog words
is better still: `shop learn` (started by `shop run`) trains it after every catalog change and loads it into
the running Rasa without a restart. It also trains the candidate a trainer asks for with `shop train`
(cli/train_command.py), one training at a time, and compares it with the live model; that one goes live only
through the gate (`shop model activate`).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from pathlib import Path

import click

from checkout.assistant_client import AssistantClient
from checkout.learning import (
    HEARTBEAT_SECONDS,
    beat,
    learning_dir,
    record_status,
    stop_beating,
    take_model_training_request,
    take_request,
)
from checkout.settings import Settings
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.activation import ServerFailed, load_everywhere
from checkout.trainer.model_files import ModelFileError, model_file
from checkout.trainer.registry import live_model, register_model
from cli.catalog_training import write_training_root
from cli.context import AppContext, pass_app
from cli.model_training import train_and_compare
from cli.training import TrainingFailed, TrainingRunner, ensure_model, model_fingerprint, run_training
from cli.training_progress import Progress

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


def learn_catalog(
    app: AppContext,
    echo=click.echo,
    low_priority: bool = False,
    force: bool = False,
    run: TrainingRunner = run_training,
) -> Path:
    return ensure_model(
        app.settings.model_cache_path,
        force=force,
        echo=echo,
        root=shop_training_root(app),
        low_priority=low_priority,
        run=run,
    )


@click.command("learn")
@click.option(
    "--rasa-url", help="The Rasa server to load new models into (default: RASA_URLS, or RASA_HOST:RASA_PORT)."
)
@click.option("--once", is_flag=True, help="Learn the pending change, if any, and stop.")
@pass_app
def learn(app: AppContext, rasa_url: str | None, once: bool):
    """Train after every catalog change and load the new model into the running Rasa (`shop run` starts it); train
    the candidate models a trainer asks for (`shop train`)."""
    servers = [rasa_url] if rasa_url else app.settings.rasa_server_urls
    if not once:  # stopped by `shop run`: unwind, so that a training under way stops too (its own process group)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.nullcontext() if once else heartbeat(app.settings):
        while True:
            if take_request(app.settings, 0 if once else SETTLE_SECONDS) is not None:
                learn_and_load(app, servers)
            request = take_model_training_request(app.settings)
            if request is not None:
                train_and_compare(app, shop_training_root(app), request, echo=click.echo)
            if once:
                return
            time.sleep(POLL_SECONDS)


@contextlib.contextmanager
def heartbeat(settings: Settings):
    """Says "the trainer runs" every few seconds, trainings included, so `shop train` hands its training over."""
    stop = threading.Event()

    def beating() -> None:
        while not stop.is_set():
            beat(settings)
            stop.wait(HEARTBEAT_SECONDS)

    thread = threading.Thread(target=beating, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        stop_beating(settings)


def learn_and_load(app: AppContext, servers: list[str]) -> None:
    """The catalog's model, loaded at once into every Rasa server and registered as live (origin catalog)."""
    progress = Progress(app.settings, "", lambda line: click.echo(line))
    progress.write()
    try:
        model = learn_catalog(app, echo=lambda line: click.echo(line), low_priority=True, run=progress.run)
        record_status(app.settings, "loading", model.name)
        with app.db.reading() as session:
            live = live_model(session)
            live_path = model_file(live, app.settings.model_cache_path) if live is not None else None
        token = app.settings.rasa_api_token
        load_everywhere(servers, model, live_path, lambda url: AssistantClient(url, token))
        register_model(app.db, model, ModelOrigin.CATALOG, ModelState.LIVE)
    except (TrainingFailed, ServerFailed, ModelFileError) as exc:
        record_status(app.settings, "failed", "cancelled" if progress.cancelled else str(exc)[:200])
        click.echo(f"learning the catalog failed: {exc}", err=True)
        return
    record_status(app.settings, "learned", model.name)
    click.echo(f"loaded {model.name} into Rasa")
