"""`shop customers`: the customer list, and one customer's right to see and to erase their data."""

from __future__ import annotations

import json

import click

from checkout.customers.export import customer_exists, customers_to_csv, export_customers
from checkout.customers.forgetting import forget_customer
from checkout.customers.privacy import export_customer
from checkout.errors import CustomerNotFound
from cli.context import AppContext, pass_app
from cli.secrets import with_generated_secrets


@click.group()
def customers():
    """Customer records: export the list or one customer; forget a customer."""


@customers.command("export")
@click.argument("customer_id", type=int, required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="For the list; one customer is always JSON.",
)
@pass_app
def customers_export(app: AppContext, customer_id: int | None, fmt: str):
    """Every customer with order count, total spent and last order; or, given CUSTOMER_ID, everything
    stored about that customer (record, cart, orders, conversations, messages) as JSON."""
    currency = app.settings.shop_currency
    with app.db.reading() as session:
        if customer_id is None:
            rows = export_customers(session, currency)
            click.echo(customers_to_csv(rows) if fmt == "csv" else _json(rows), nl=fmt != "csv")
            return
        data = export_customer(session, customer_id, currency)
    if data is None:
        raise click.ClickException(f"no customer with id {customer_id}")
    click.echo(_json(data))


@customers.command("forget")
@click.argument("customer_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def customers_forget(app: AppContext, customer_id: int, yes: bool):
    """Erase CUSTOMER_ID's personal data everywhere we keep it, including Rasa's conversation and event
    tables; orders keep their items and amounts for accounting. Audit-logged; cannot be undone."""
    with app.db.reading() as session:
        if not customer_exists(session, customer_id):
            raise click.ClickException(f"no customer with id {customer_id}")
    if not yes:
        click.confirm(f"Erase the personal data of customer {customer_id}? This cannot be undone", abort=True)
    try:
        # The shop's secret key, as the running shop has it (generated into var/ when unset): it keys the hashes
        # by which the records consumer recognises the forgotten chats.
        result = forget_customer(app.db, with_generated_secrets(app.settings), customer_id, actor="cli")
    except CustomerNotFound as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Forgot customer {customer_id}: {result.messages} message(s) erased, {result.orders} order(s) "
        f"anonymised (items and amounts kept), {result.tracker_events} Rasa tracker event(s) deleted, "
        f"{result.broker_events} broker event(s) blanked."
    )


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
