"""Entry point of the `shop` console command."""
from __future__ import annotations

import click

from checkout.db.migrate import upgrade
from checkout.settings import PROJECT_ROOT
from cli.catalog_nlu import GENERATED_FILE, write_catalog_nlu
from cli.chat_command import chat
from cli.context import AppContext, pass_app
from cli.conversation_commands import handoff
from cli.customer_commands import customers
from cli.data_commands import catalog, db, orders, seller
from cli.nlu_commands import nlu
from cli.payment_commands import payments
from cli.records_commands import api_token, records
from cli.run_command import run
from cli.telegram_commands import telegram
from cli.training import TrainingFailed, ensure_model


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def shop(ctx: click.Context):
    """Conversational checkout: set-up, data import/export and the process runner."""
    ctx.ensure_object(AppContext)


@shop.command()
@click.option("--force", is_flag=True, help="Train even when a model for these inputs exists.")
@pass_app
def train(app: AppContext, force: bool):
    """Write the catalog's words into data/, then train the Rasa model (skipped when nothing changed)."""
    upgrade(app.settings.database_url)  # a fresh install has no tables yet to read the catalog from
    with app.db.transaction() as session:
        if write_catalog_nlu(session):
            click.echo(f"Updated {GENERATED_FILE.relative_to(PROJECT_ROOT)} from the catalog.")
    try:
        model = ensure_model(app.settings.model_cache_path, force=force, echo=click.echo)
    except TrainingFailed as exc:
        raise click.ClickException(str(exc))
    click.echo(str(model))


for command in (catalog, orders, customers, db, seller, run, handoff, chat, nlu, records, api_token, telegram,
                payments):
    shop.add_command(command)


def main() -> None:
    shop(prog_name="shop")
