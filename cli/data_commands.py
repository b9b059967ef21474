"""`shop catalog|orders|db|seller`: the seller's data in and out."""

from __future__ import annotations

import json
import sys

import click

from checkout.access.sellers import SellerError, add_seller
from checkout.catalog.importer import export_catalog, import_catalog_file
from checkout.db.migrate import upgrade
from checkout.db.models import ORDER_STATUSES
from checkout.orders.export import find_orders, order_to_dict, orders_to_csv, parse_utc
from cli.context import AppContext, pass_app


@click.group()
def catalog():
    """Import and export the product catalog (CSV)."""


@catalog.command("import")
@click.argument("file", type=click.File("rb"))
@pass_app
def catalog_import(app: AppContext, file):
    """Upsert products from FILE.csv in one transaction; any bad row changes nothing.

    Header: sku,name,price,currency,stock,category,description,color,size,image_url
    """
    result = import_catalog_file(app.db, app.settings, file.read(), file.name, actor="cli")
    if not result.ok:
        for error in result.errors:
            click.echo(f"{file.name}: {error}", err=True)
        click.echo(f"Nothing imported: {len(result.errors)} problem(s).", err=True)
        sys.exit(1)
    click.echo(
        f"Imported {file.name}: {result.created} new, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.deactivated} deactivated."
    )
    click.echo("The assistant reads the new names now; `shop run` also trains it on them in the background.")


@catalog.command("export")
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated SKUs.")
@pass_app
def catalog_export(app: AppContext, include_inactive: bool):
    """Write the catalog as CSV (the import format) to stdout."""
    with app.db.transaction() as session:
        click.echo(export_catalog(session, include_inactive), nl=False)


def _parse_date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        raise click.BadParameter("use a date like 2026-11-01 or 2026-11-01T09:00") from None


@click.group()
def orders():
    """Export captured orders."""


@orders.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--status", type=click.Choice(ORDER_STATUSES), help="Only orders with this status.")
@click.option("--since", callback=_parse_date, help="Only orders created on or after this date (UTC).")
@pass_app
def orders_export(app: AppContext, fmt: str, status: str | None, since):
    """Write orders, newest first, to stdout."""
    with app.db.transaction() as session:
        found = find_orders(session, status=status, since=since)
        if fmt == "csv":
            click.echo(orders_to_csv(found), nl=False)
        else:
            click.echo(json.dumps([order_to_dict(o) for o in found], ensure_ascii=False, indent=2))


@click.group()
def db():
    """Database schema."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: AppContext):
    """Apply all migrations (creates the SQLite file under var/ when needed)."""
    upgrade(app.settings.database_url)
    click.echo("Database is up to date.")


@click.group()
def seller():
    """Seller accounts for the dashboard."""


@seller.command("add")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def seller_add(app: AppContext, email: str, password_stdin: bool):
    """Create a seller login (or reset its password)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with app.db.transaction() as session:
            add_seller(session, email, password)
    except SellerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Seller {email.strip().lower()} can log in at {app.settings.web_url}/seller/login")
