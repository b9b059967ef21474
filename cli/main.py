"""Entry point of the `shop` console command."""

from __future__ import annotations

import click

from cli.campaign_commands import campaign
from cli.chat_command import chat
from cli.context import AppContext
from cli.conversation_commands import handoff
from cli.customer_commands import customers
from cli.data_commands import catalog, db, orders, seller
from cli.learning_commands import learn, train
from cli.nlu_commands import nlu
from cli.payment_commands import payments
from cli.promo_commands import promo
from cli.records_commands import api_token, records
from cli.run_command import run
from cli.telegram_commands import telegram


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def shop(ctx: click.Context):
    """Conversational checkout: set-up, data import/export and the process runner."""
    ctx.ensure_object(AppContext)


for command in (
    catalog,
    orders,
    customers,
    db,
    seller,
    run,
    handoff,
    chat,
    nlu,
    records,
    api_token,
    telegram,
    payments,
    promo,
    campaign,
    train,
    learn,
):
    shop.add_command(command)


def main() -> None:
    shop(prog_name="shop")
