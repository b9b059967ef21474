"""`shop run`: make sure everything exists, then start every process and keep them together."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click

from checkout.catalog.importer import catalog_is_empty, import_catalog
from checkout.catalog.terms_file import publish_catalog_terms
from checkout.db.migrate import upgrade
from checkout.email import email_configuration_error, marketing_email_error
from checkout.learning import request_training
from checkout.settings import PROJECT_ROOT, Settings, whatsapp_configuration_error
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.model_files import ModelFileError, model_file
from checkout.trainer.registry import live_model, register_model
from cli.balancer import haproxy_command, write_haproxy_config
from cli.context import AppContext, pass_app
from cli.layout import scale_out_problem
from cli.learning_commands import cached_shop_model
from cli.processes import ProcessSpec, Supervisor
from cli.rasa_engine import rasa_environment, rasa_run_command, write_endpoints
from cli.secrets import with_generated_secrets
from cli.training import ensure_model

DEMO_CATALOG = PROJECT_ROOT / "data" / "catalog" / "demo.csv"


def prepare(app: AppContext, echo=click.echo) -> Path:
    """Migrations, the demo catalog for an empty shop, the catalog's words for the NLU component, and the
    model to serve, registered as the live one. Returns the model path."""
    upgrade(app.settings.database_url)
    with app.db.transaction() as session:
        if catalog_is_empty(session):
            result = import_catalog(session, DEMO_CATALOG.read_bytes(), app.settings.shop_currency)
            if not result.ok:
                raise click.ClickException(f"demo catalog: {result.errors[0]}")
            echo(f"Loaded the demo catalog ({result.created} SKUs) into the empty database.")
        publish_catalog_terms(session, Path(app.settings.shop_catalog_terms_file))
    model = model_to_serve(app, ensure_model(app.settings.model_cache_path, echo=echo), echo)
    try:
        register_model(app.db, model, ModelOrigin.START, ModelState.LIVE)
    except ModelFileError as exc:
        raise click.ClickException(str(exc)) from None
    return model


def model_to_serve(app: AppContext, default_model: Path, echo=click.echo) -> Path:
    """The registry's live model while its file exists (a restart keeps the model a trainer activated); else
    the one that learned the shop's catalog when it exists, else the default model while the trainer
    (`shop learn`) learns the catalog in the background."""
    with app.db.reading() as session:
        live = live_model(session)
        live_path = model_file(live, app.settings.model_cache_path) if live is not None else None
    if live_path is not None:
        return live_path
    learned = cached_shop_model(app)
    if learned is not None:
        return learned
    echo("The assistant reads this catalog now and learns it in the background.")
    request_training(app.settings)
    return default_model


def process_specs(settings: Settings, model: Path, endpoints: Path) -> list[ProcessSpec]:
    env = settings.as_environment()
    python = sys.executable
    specs = [
        *rasa_specs(settings, model, endpoints, env),
        *action_server_specs(settings, env),
        ProcessSpec(
            "web",
            [
                python,
                "-m",
                "waitress",
                "--host",
                settings.web_host,
                "--port",
                str(settings.web_port),
                "--threads",
                "8",
                "--max-request-body-size=5308416",  # web.request_limits.largest_body(), the catalog import's
                "--call",
                "web:create_app",
            ],
            env,
            ready_url=f"{settings.web_url}/healthz",
        ),
        ProcessSpec("records", [python, "-m", "cli", "records", "consume"], env),
        ProcessSpec("learn", [python, "-m", "cli", "learn"], env),
        ProcessSpec("deadlines", [python, "-m", "cli", "orders", "expire-unpaid", "--every", "60"], env),
    ]
    if settings.balanced:
        # Ready once a turn can reach a Rasa server through it: that is what the web app and gateways call.
        config = write_haproxy_config(settings)
        specs.append(ProcessSpec("haproxy", haproxy_command(config), env, ready_url=f"{settings.rasa_url}/"))
    if settings.telegram_bot_token and telegram_gateway_available():
        # In webhook mode the gateway serves a health check beside the webhook; polling has no address.
        ready = (
            f"http://{settings.telegram_webhook_listen_host}:{settings.telegram_webhook_listen_port}/healthz"
            if settings.telegram_webhook_url
            else None
        )
        specs.append(ProcessSpec("telegram", [python, "-m", "bot.telegram"], env, ready_url=ready))
    if settings.whatsapp_access_token:
        # Meta's webhook reaches the web app (/webhooks/whatsapp); this process answers what it stored.
        specs.append(ProcessSpec("whatsapp", [python, "-m", "bot.whatsapp"], env))
    if settings.smtp_url:
        # The outbox's email rows: order emails and campaigns, sent over SMTP (checkout/email/sender.py).
        specs.append(ProcessSpec("email", [python, "-m", "checkout.email"], env))
    return specs


def rasa_specs(settings: Settings, model: Path, endpoints: Path, env: dict[str, str]) -> list[ProcessSpec]:
    """One Rasa server on RASA_PORT, or RASA_INSTANCES of them on the ports after it, behind the balancer."""
    ports = settings.rasa_instance_ports
    return [
        ProcessSpec(
            _instance_name("rasa", i, len(ports)),
            rasa_run_command(settings, model, endpoints, port),
            rasa_environment(env),
            ready_url=f"http://{settings.rasa_host}:{port}/",
            restart=len(ports) > 1,
        )
        for i, port in enumerate(ports, 1)
    ]


def action_server_specs(settings: Settings, env: dict[str, str]) -> list[ProcessSpec]:
    ports = settings.action_instance_ports
    return [
        ProcessSpec(
            _instance_name("actions", i, len(ports)),
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            {**env, "SANIC_HOST": settings.action_server_host},
            ready_url=f"http://{settings.action_server_host}:{port}/health",
            restart=len(ports) > 1,
        )
        for i, port in enumerate(ports, 1)
    ]


def _behind(instances: int) -> str:
    return f"  (HAProxy, {instances} servers)" if instances > 1 else ""


def _instance_name(kind: str, number: int, count: int) -> str:
    return kind if count == 1 else f"{kind}-{number}"


def email_status(settings: Settings) -> str:
    if not settings.smtp_url:
        return "off (set SMTP_URL and SHOP_EMAIL_FROM)"
    marketing = marketing_email_error(settings)
    return "order emails only: " + marketing if marketing else "order and campaign emails"


def whatsapp_status(settings: Settings) -> str:
    if not settings.whatsapp_access_token:
        return "off (set WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET)"
    return f"webhook {settings.public_url}/webhooks/whatsapp"


def telegram_gateway_available() -> bool:
    return importlib.util.find_spec("bot.telegram.__main__") is not None


def telegram_status(settings: Settings) -> str:
    if not settings.telegram_bot_token:
        return "off (set TELEGRAM_BOT_TOKEN)"
    if not telegram_gateway_available():
        return "not in this version yet: TELEGRAM_BOT_TOKEN is ignored"
    return "webhook mode" if settings.telegram_webhook_url else "long polling"


@click.command("run")
@click.option(
    "--rasa-instances", type=click.IntRange(min=1), help="Rasa servers behind HAProxy (default RASA_INSTANCES, 1)."
)
@click.option(
    "--action-instances", type=click.IntRange(min=1), help="Action servers behind HAProxy (ACTION_INSTANCES, 1)."
)
@pass_app
def run(app: AppContext, rasa_instances: int | None, action_instances: int | None):
    """Set up what is missing, then start Rasa, the action server, the web app (Telegram, WhatsApp, email if set)."""
    app.settings = app.settings.replace(
        rasa_instances=rasa_instances or app.settings.rasa_instances,
        action_instances=action_instances or app.settings.action_instances,
    )
    problem = scale_out_problem(app.settings)
    if problem:
        raise click.ClickException(problem)
    problem = email_configuration_error(app.settings) if app.settings.smtp_url else None
    if problem:  # said now, before anything starts, rather than by a sender process that exits at once
        raise click.ClickException(f"email: {problem}")
    problem = whatsapp_configuration_error(app.settings) if app.settings.whatsapp_access_token else None
    if problem:
        raise click.ClickException(f"WhatsApp: {problem}")
    model = prepare(app)
    settings = with_generated_secrets(app.settings)
    endpoints = write_endpoints(settings, settings.var_dir / "endpoints.yml")
    supervisor = Supervisor(process_specs(settings, model, endpoints), cwd=str(PROJECT_ROOT))
    supervisor.start()
    try:
        supervisor.wait_ready(timeout=300)
    except (RuntimeError, TimeoutError) as exc:
        supervisor.log("shop", f"could not start: {exc}")
        supervisor.stop()
        sys.exit(1)
    s = settings
    supervisor.log("shop", "ready:")
    supervisor.log("shop", f"  shop chat + seller dashboard  {s.web_url}/  ({s.web_url}/seller)")
    rest_channel = f"{s.rasa_url}/webhooks/rest/webhook"
    supervisor.log("shop", f"  Rasa REST channel             {rest_channel}" + _behind(s.rasa_instances))
    supervisor.log("shop", f"  action server                 {s.action_server_url}" + _behind(s.action_instances))
    supervisor.log("shop", "  Telegram gateway              " + telegram_status(s))
    supervisor.log("shop", "  WhatsApp gateway              " + whatsapp_status(s))
    supervisor.log("shop", "  email                         " + email_status(s))
    supervisor.log("shop", "Ctrl-C stops everything.")
    sys.exit(supervisor.supervise())
