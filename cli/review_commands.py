"""`shop nlu review`: the trainer's review inbox in a terminal (the dashboard's /seller/training, as rows)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from checkout.trainer.review import ReviewRow, review_queue, review_row_to_dict
from cli.context import AppContext, pass_app

TEXT_WIDTH = 70  # one row per line in an ordinary terminal


@click.command("review")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many rows.")
@click.option("--intent", help="Only messages read as this intent.")
@click.option("--model", "model_id", help="Only messages parsed by this model (its model_id).")
@click.option("--channel", help="Only messages from this channel (telegram, whatsapp, web, rest).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day on (UTC), YYYY-MM-DD.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Up to and including this day (UTC), YYYY-MM-DD.")
@pass_app
def review(
    app: AppContext,
    output: str,
    limit: int,
    intent: str | None,
    model_id: str | None,
    channel: str | None,
    since: datetime | None,
    until: datetime | None,
):
    """Shopper messages worth a trainer's look, most useful first: flagged by a seller, read as nlu_fallback,
    with a low confidence or a small margin between the top two intents, and a small sample of the rest.
    Identical texts are one row with their count. Annotate one with `shop nlu annotate MESSAGE_ID`."""
    with app.db.reading() as session:
        rows = review_queue(
            session,
            app.settings,
            intent=intent,
            model_id=model_id,
            channel=channel,
            since=since.replace(tzinfo=UTC) if since else None,
            until=until.replace(tzinfo=UTC) + timedelta(days=1) if until else None,
            limit=limit,
        )
    if output == "json":
        click.echo(json.dumps([review_row_to_dict(row) for row in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Nothing to review.", err=True)
    for row in rows:
        click.echo(review_line(row))


def review_line(row: ReviewRow) -> str:
    """`#42  3x  low_confidence  add_to_cart 0.41  do u have the black hoodie…`"""
    confidence = f" {row.confidence:.2f}" if row.confidence is not None else ""
    text = " ".join(row.text.split())
    if len(text) > TEXT_WIDTH:
        text = text[: TEXT_WIDTH - 1] + "…"
    return f"#{row.message_id}\t{row.count}x\t{row.reason}\t{row.intent or '-'}{confidence}\t{text}"
