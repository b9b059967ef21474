"""`shop catalog|orders|db|seller`: the seller's data in and out."""

from __future__ import annotations

import json
import logging
import sys
import time

import click

from checkout.access.sellers import SellerError, add_seller
from checkout.catalog.importer import export_catalog, import_catalog_file
from checkout.db.migrate import upgrade
from checkout.db.models import ORDER_STATUSES
from checkout.errors import CheckoutError
from checkout.orders.deadlines import DeadlineRun, run_payment_deadlines
from checkout.orders.export import find_orders, order_to_dict, orders_to_csv, parse_utc
from checkout.orders.seller_actions import OrderNotFound
from checkout.payments.refunds import RefundReferenceNeeded, RefundState, RefundUnavailable, refund_order
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
    """Export captured orders; remind and expire unpaid ones; refund paid ones."""


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


@orders.command("expire-unpaid")
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    help="Keep running, once every this many seconds (as `shop run` starts it), instead of once.",
)
@pass_app
def orders_expire_unpaid(app: AppContext, every: float | None):
    """Remind shoppers whose unpaid orders reached half their payment deadline, and expire the orders past it
    (their stock goes back, the shopper is told). Safe to run any number of times, and from several places at
    once: each order is reminded and expired once. For cron, or `--every` as a process of its own."""
    if every is None:
        done = run_payment_deadlines(app.db, app.settings)
        _say_what_was_done(done, quiet=False)
        if done.failed:
            sys.exit(1)
        return
    logging.basicConfig(level=app.settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    while True:
        try:
            _say_what_was_done(run_payment_deadlines(app.db, app.settings), quiet=True)
        except Exception:  # the database went away for a moment: the next round tries again
            logging.getLogger(__name__).exception("payment deadlines: this round failed")
        time.sleep(every)


def _say_what_was_done(done: DeadlineRun, quiet: bool) -> None:
    """One line per order; `quiet` (the periodic process) says nothing when nothing changed."""
    if quiet and not (done.did_something or done.failed):
        return
    for number in done.reminded:
        click.echo(f"{number}\treminded")
    for number in done.expired:
        click.echo(f"{number}\texpired, stock released")
    if not quiet:
        for number, until in done.waiting_for_link:
            when = f" until {until:%Y-%m-%d %H:%M} UTC" if until else ""
            click.echo(f"{number}\tpast its deadline, kept: a payment link is open{when}")
    for order_id in done.failed:
        click.echo(f"order id {order_id}\tfailed (logged); the next run tries again")
    click.echo(f"{len(done.reminded)} order(s) reminded, {len(done.expired)} expired.")


@orders.command("refund")
@click.argument("number")
@click.option("--restock", is_flag=True, help="Put the order's items back in stock once it is refunded.")
@click.option(
    "--reference",
    help="The reference of the money you sent back yourself (a Telegram invoice's at the payment provider, a "
    "transfer's); needed for those, not for Stripe.",
)
@pass_app
def orders_refund(app: AppContext, number: str, restock: bool, reference: str | None):
    """Refund the whole order NUMBER (paid, or flagged: paid after a cancel, twice, another amount). Stripe
    payments go back through Stripe (the order is refunded when Stripe confirms it; run again, it makes one
    refund); Telegram invoices and manual payments are marked refunded with --reference. Exits 1 when the order
    took no payment or the refund could not be made; an order already refunded is left as it is."""
    try:
        done = refund_order(app.db, app.settings, number, "cli", restock=restock, reference=reference)
    except OrderNotFound as exc:
        click.echo(f"Nothing refunded: {exc}.", err=True)
        sys.exit(1)
    except RefundUnavailable as exc:
        if exc.retry:
            click.echo(f"Not refunded yet: {exc}. Run the same command again.", err=True)
        else:
            click.echo(f"Not refunded: {exc}.", err=True)
        sys.exit(1)
    except CheckoutError as exc:  # took no payment; a reference is needed
        hint = " (--reference R)" if isinstance(exc, RefundReferenceNeeded) else ""
        click.echo(f"Nothing refunded: {exc}{hint}.", err=True)
        sys.exit(1)
    if done.state == RefundState.ALREADY_REFUNDED:
        click.echo(f"Order {done.number} is already refunded; nothing changed.")
    elif done.state == RefundState.REFUNDED:
        stock = " Its items are back in stock." if done.restocked else ""
        click.echo(f"Order {done.number} is refunded.{stock} The shopper is told in their chat.")
    else:
        click.echo(
            f"Refund of order {done.number} requested at Stripe ({', '.join(done.stripe_refunds)}): the order "
            "becomes refunded when Stripe confirms it (its webhook, or `shop payments reconcile`)."
        )


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
