"""`shop campaign create|preview|send|stop|report|list`: offers to the customers who said yes to them."""

from __future__ import annotations

import json
from pathlib import Path

import click

from checkout.errors import CheckoutError
from checkout.marketing.audience import EXCLUSION_LABELS, audience_to_dict
from checkout.marketing.campaigns import (
    CHANNEL_CHOICES,
    CampaignSpec,
    create_campaign,
    preview_campaign,
    send_campaign,
    stop_campaign,
)
from checkout.marketing.report import campaigns_overview, report_campaign
from checkout.promotions.entry import PromoError
from checkout.promotions.kinds import SEGMENT_NAMES
from cli.context import AppContext, pass_app
from cli.promo_commands import discount_options, promo_spec

ACTOR = "cli"


@click.group()
def campaign():
    """Campaigns: an offer to a segment, in the shopper's own chat and by email, with their consent."""


@campaign.command("create")
@click.argument("name")
@click.option(
    "--message-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The message; {first_name} and {code} are filled in for each recipient.",
)
@click.option(
    "--segment",
    "segments",
    multiple=True,
    type=click.Choice(SEGMENT_NAMES),
    help="Repeatable; none: every customer who said yes to offers.",
)
@click.option(
    "--channel", "channels", multiple=True, type=click.Choice(CHANNEL_CHOICES), help="Repeatable; none: chat and email."
)
@click.option("--image", "image_url", help="An http(s) address of a product picture sent with the message.")
@click.option("--code", help="An existing promo code for every recipient.")
@click.option("--batch", "batch_prefix", help="One single-use code PREFIX-XXXXXX per recipient, made when sent.")
@discount_options
@pass_app
def campaign_create(
    app: AppContext, name: str, message_file: Path, segments, channels, image_url, code, batch_prefix, **options
):
    """Create a draft campaign NAME; prints its id."""
    discount_given = any(options[k] not in (None, False) for k in ("percent", "amount", "free_delivery"))
    if discount_given and not batch_prefix:
        raise click.UsageError("--percent, --amount and --free-delivery describe a --batch's codes")
    spec = CampaignSpec(
        name=name,
        message=message_file.read_text(encoding="utf-8"),
        segments=tuple(segments),
        channels=tuple(channels),
        image_url=image_url,
        code=code,
        batch_prefix=batch_prefix,
        batch=promo_spec(app, options) if batch_prefix else None,
        currency=app.settings.shop_currency,
    )
    try:
        campaign_id = create_campaign(app.db, spec, ACTOR)
    except (CheckoutError, PromoError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(campaign_id)


@campaign.command("preview")
@click.argument("campaign_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def campaign_preview(app: AppContext, campaign_id: int, fmt: str):
    """Who would receive campaign ID now, per channel, and who is left out and why."""
    try:
        _, audience = preview_campaign(app.db, app.settings, campaign_id)
    except CheckoutError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(audience_to_dict(audience), ensure_ascii=False, indent=2))
        return
    counts = ", ".join(f"{n} by {channel}" for channel, n in sorted(audience.counts.items())) or "nobody"
    click.echo(f"Recipients: {counts}")
    for r in audience.recipients:
        click.echo(f"  {r.customer.id}\t{r.customer.name or '-'}\t{r.channel}")
    if audience.excluded:
        click.echo("Left out:")
    for e in audience.excluded:
        click.echo(f"  {e.customer.id}\t{e.customer.name or '-'}\t{e.channel}\t{EXCLUSION_LABELS[e.reason]}")


@campaign.command("send")
@click.argument("campaign_id", type=int)
@pass_app
def campaign_send(app: AppContext, campaign_id: int):
    """Queue campaign ID to its audience; the gateways deliver it at their channel's pace."""
    try:
        queued = send_campaign(app.db, app.settings, campaign_id, ACTOR)
    except CheckoutError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Campaign {campaign_id}: {queued} messages queued.")


@campaign.command("stop")
@click.argument("campaign_id", type=int)
@pass_app
def campaign_stop(app: AppContext, campaign_id: int):
    """Stop campaign ID: nothing still queued is sent."""
    try:
        held = stop_campaign(app.db, campaign_id, ACTOR)
    except CheckoutError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Campaign {campaign_id} stopped; {held} messages not sent.")


@campaign.command("report")
@click.argument("campaign_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def campaign_report_command(app: AppContext, campaign_id: int, fmt: str):
    """What campaign ID did: recipients, sent, failed, unsubscribes, orders and revenue credited to it."""
    try:
        report = report_campaign(app.db, campaign_id)
    except CheckoutError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(f"{key}: {value}" for key, value in report.items()))


@campaign.command("list")
@pass_app
def campaign_list(app: AppContext):
    """Every campaign, newest first, with its figures (JSON)."""
    click.echo(json.dumps(campaigns_overview(app.db), ensure_ascii=False, indent=2))
