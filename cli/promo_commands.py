"""`shop promo create|batch|list|disable`: the seller's promo codes."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from checkout.promotions.admin import PromoSpec, create_batch, create_code, disable_code
from checkout.promotions.entry import PromoError, read_moment
from checkout.promotions.kinds import SEGMENT_NAMES, PromoKind
from checkout.promotions.report import codes_to_csv, list_codes
from cli.context import AppContext, pass_app


def _moment(end: bool) -> Callable:
    def parse(_ctx, _param, value):
        try:
            return read_moment(value, "end" if end else "start", end=end)
        except PromoError as exc:
            raise click.BadParameter(str(exc)) from None

    return parse


def discount_options(command: Callable) -> Callable:
    """What codes do, when and how often: `promo create` and `batch`, and a campaign's batch."""
    options = [
        click.option("--percent", type=int, help="Percent off the items (1-100)."),
        click.option("--amount", help="Amount off the items in the shop currency, e.g. 5.00."),
        click.option("--free-delivery", is_flag=True, help="Waive the delivery fee."),
        click.option("--min-order", help="Minimum items subtotal, e.g. 40.00."),
        click.option("--starts", callback=_moment(end=False), help="Valid from this date (UTC) or date-time."),
        click.option("--ends", callback=_moment(end=True), help="Valid through this date (UTC) or until a date-time."),
        click.option("--max-uses", type=int, help="Total uses of each code (unlimited when not given)."),
        click.option("--once-per-customer", is_flag=True, help="Each customer may use a code once."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def code_options(command: Callable) -> Callable:
    """The options `create` and `batch` share: what the codes do, when, how often and for whom."""
    command = click.option("--customer", "customer_ids", multiple=True, type=int, help="A customer id; repeatable.")(
        command
    )
    command = click.option(
        "--segment", "segments", multiple=True, type=click.Choice(SEGMENT_NAMES), help="Repeatable."
    )(command)
    return discount_options(command)


def promo_spec(app: AppContext, options: dict) -> PromoSpec:
    chosen = [k for k in ("percent", "amount", "free_delivery") if options[k] not in (None, False)]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --percent, --amount, --free-delivery")
    kind = PromoKind(chosen[0])
    value = None if kind == PromoKind.FREE_DELIVERY else str(options[chosen[0]])
    return PromoSpec(
        kind=kind,
        value=value,
        currency=app.settings.shop_currency,
        min_order=options["min_order"],
        starts_at=options["starts"],
        ends_at=options["ends"],
        max_uses=options["max_uses"],
        once_per_customer=options["once_per_customer"],
        segments=tuple(options.get("segments", ())),
        customer_ids=tuple(options.get("customer_ids", ())),
    )


@click.group()
def promo():
    """Promo codes: percent or amount off, or free delivery."""


@promo.command("create")
@click.argument("code")
@code_options
@pass_app
def promo_create(app: AppContext, code: str, **options):
    """Create the promo code CODE (3-32 characters of A-Z, 0-9 and -; any case)."""
    try:
        created = create_code(app.db, code, promo_spec(app, options), actor="cli")
    except PromoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(created)


@promo.command("batch")
@click.argument("prefix")
@click.option("--count", type=int, required=True, help="How many codes PREFIX-XXXXXX to make.")
@code_options
@pass_app
def promo_batch(app: AppContext, prefix: str, count: int, **options):
    """Create COUNT codes PREFIX-XXXXXX sharing one definition; prints them, one a line."""
    try:
        codes = create_batch(app.db, prefix, count, promo_spec(app, options), actor="cli")
    except PromoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("\n".join(codes))


@promo.command("list")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@pass_app
def promo_list(app: AppContext, fmt: str):
    """Every code with its uses, the discount it gave and the revenue of its paid orders."""
    with app.db.reading() as session:
        codes = list_codes(session)
    if fmt == "csv":
        click.echo(codes_to_csv(codes), nl=False)
    else:
        click.echo(json.dumps(codes, ensure_ascii=False, indent=2))


@promo.command("disable")
@click.argument("code")
@pass_app
def promo_disable(app: AppContext, code: str):
    """Stop CODE from applying to new orders (orders that used it keep their discount)."""
    try:
        disabled = disable_code(app.db, code, actor="cli")
    except PromoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{disabled} is disabled.")
