"""Entry point of the `shop` console command."""

from __future__ import annotations

import click

from cli.campaign_commands import campaign
from cli.chat_command import chat
from cli.compare_commands import nlu_compare
from cli.context import AppContext
from cli.conversation_commands import handoff
from cli.customer_commands import customers
from cli.data_commands import catalog, db, orders, seller
from cli.deploy_command import deploy
from cli.learning_commands import learn
from cli.model_commands import model
from cli.nlu_commands import nlu
from cli.payment_commands import payments
from cli.promo_commands import promo
from cli.records_commands import api_token, records
from cli.review_commands import review
from cli.run_command import run
from cli.serve_command import serve
from cli.telegram_commands import telegram
from cli.train_command import train


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
    serve,
    deploy,
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
    model,
):
    shop.add_command(command)
nlu.add_command(review)  # `shop nlu review`: the trainer's inbox, beside `shop nlu evaluate`
nlu.add_command(nlu_compare)  # `shop nlu compare`: the live model against a candidate, and the gate


def main() -> None:
    shop(prog_name="shop")
