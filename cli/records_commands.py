"""`shop records` (the consumer of Rasa's events) and `shop api-token` (access to the JSON API)."""

from __future__ import annotations

import logging
import signal
import threading

import click

from checkout.access.api_tokens import create_token, list_tokens, revoke_token
from checkout.db.migrate import upgrade
from checkout.orders.export import isoformat_utc
from checkout.records.consumer import run_consumer, source_description
from checkout.records.sql_source import reset_position, sql_event_source
from cli.context import AppContext, pass_app
from cli.secrets import with_generated_secrets


@click.group()
def records():
    """Customer records from Rasa's conversation events."""


@records.command("consume")
@pass_app
def records_consume(app: AppContext):
    """Follow Rasa's events and record every message, until Ctrl-C / SIGTERM (`shop run` starts it)."""
    logging.basicConfig(level=app.settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    upgrade(app.settings.database_url)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"Recording conversations from {source_description(app.settings)}.")
    run_consumer(with_generated_secrets(app.settings), app.db, stop)  # the secret keys forgotten chats' hashes


@records.command("replay")
@pass_app
def records_replay(app: AppContext):
    """Read Rasa's events (tracker store or SQL event broker) from the first again; what is recorded is skipped."""
    reset_position(app.db, sql_event_source(app.settings).name)  # the engine connects on first use: not here
    click.echo("The consumer reads the event stream from the start on its next poll.")


@click.group("api-token")
def api_token():
    """Bearer tokens for the JSON API (/api/...)."""


@api_token.command("create")
@click.argument("name")
@pass_app
def api_token_create(app: AppContext, name: str):
    """Create a token named NAME; it is printed once and stored only as a hash."""
    upgrade(app.settings.database_url)
    with app.db.transaction() as session:
        record, token = create_token(session, name)
        token_id = record.id
    click.echo(f"Token {token_id} ({name}) created. Keep it secret; it is not shown again:", err=True)
    click.echo(token)


@api_token.command("revoke")
@click.argument("token_id", type=int)
@pass_app
def api_token_revoke(app: AppContext, token_id: int):
    """Revoke token TOKEN_ID: requests with it get 401 from now on."""
    with app.db.transaction() as session:
        if revoke_token(session, token_id) is None:
            raise click.ClickException(f"no token with id {token_id}")
    click.echo(f"Token {token_id} revoked.")


@api_token.command("list")
@pass_app
def api_token_list(app: AppContext):
    """Tokens with when they were created, last used and revoked (never the tokens themselves)."""
    with app.db.reading() as session:
        for t in list_tokens(session):
            when = lambda moment: isoformat_utc(moment) if moment else "-"  # noqa: E731
            click.echo(
                f"{t.id}\t{t.name}\tcreated {when(t.created_at)}\tlast used {when(t.last_used_at)}\t"
                f"revoked {when(t.revoked_at)}"
            )
