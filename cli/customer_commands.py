"""`shop customers`: the customer list, and one customer's right to see and to erase their data."""

from __future__ import annotations

import json

import click

from checkout.customers.export import customers_to_csv, export_customers
from checkout.customers.privacy import chat_ids_of, export_customer, forget_customer
from checkout.db.models import Customer
from checkout.records.rasa_stores import forget_in_sql_broker, forget_in_tracker_store
from cli.context import AppContext, pass_app


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
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise click.ClickException(f"no customer with id {customer_id}")
        sender_ids = chat_ids_of(session, customer)
    if not yes:
        click.confirm(f"Erase the personal data of customer {customer_id}? This cannot be undone", abort=True)
    # Rasa's stores first: our records keep the chat ids until the end, so a failed run can be repeated.
    tracker = forget_in_tracker_store(app.settings.rasa_tracker_url, sender_ids)
    broker = 0 if app.settings.rasa_event_broker_url else forget_in_sql_broker(app.settings.rasa_events_url, sender_ids)
    with app.db.transaction() as session:
        result = forget_customer(session, session.get(Customer, customer_id), actor="cli")
    click.echo(
        f"Forgot customer {customer_id}: {result.messages} message(s) erased, {result.orders} order(s) "
        f"anonymised (items and amounts kept), {tracker} Rasa tracker event(s) deleted, "
        f"{broker} broker event(s) blanked."
    )


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
