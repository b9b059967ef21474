"""`shop serve KIND`: one of `shop run`'s processes on its own, in the foreground, for a service manager.

On several machines each process runs under systemd (deploy/systemd/) rather than under `shop run`; it is started
with the same command line, environment and generated files as `shop run` would give it, so the two layouts
cannot drift apart.
"""

from __future__ import annotations

import os

import click

from checkout.settings import PROJECT_ROOT
from cli.context import AppContext, pass_app
from cli.rasa_engine import write_endpoints
from cli.run_command import model_to_serve, process_specs
from cli.secrets import with_generated_secrets
from cli.training import ensure_model

KINDS = ("rasa", "actions", "web", "records", "learn", "deadlines", "telegram", "whatsapp", "email")


@click.command("serve")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--port", type=click.IntRange(1, 65535), help="This Rasa or action server's port (several per machine).")
@pass_app
def serve(app: AppContext, kind: str, port: int | None):
    """Run one process of the shop in the foreground (rasa, actions, web, records, learn, telegram, ...)."""
    settings = with_generated_secrets(app.settings).replace(rasa_instances=1, action_instances=1)
    if port and kind == "rasa":
        settings = settings.replace(rasa_port=port)
    elif port and kind == "actions":
        settings = settings.replace(action_server_port=port)
    elif port:
        raise click.UsageError("--port is for a Rasa or an action server; the others have their own settings")
    model = None
    if kind == "rasa":  # the model the shop serves now: the registry's live one, else the cached default
        model = model_to_serve(app, ensure_model(settings.model_cache_path))
    endpoints = write_endpoints(settings, settings.var_dir / "endpoints.yml")
    specs = {spec.name: spec for spec in process_specs(settings, model or PROJECT_ROOT, endpoints)}
    if kind not in specs:
        raise click.ClickException(f"{kind} is not configured here (see `shop run`'s settings for it)")
    spec = specs[kind]
    os.chdir(PROJECT_ROOT)
    os.execvpe(spec.command[0], spec.command, {**os.environ, **spec.env})
