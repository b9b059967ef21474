"""`shop nlu annotate` and `shop nlu ignore`: a trainer's verdict on a shopper message from the review inbox
(`shop nlu review`), written to data/nlu_reviewed.yml or tests/nlu/heldout_reviewed.yml."""

from __future__ import annotations

import json

import click

from checkout.trainer.annotation import AnnotationRefused, annotate, ignore
from checkout.trainer.review_files import ReviewFiles
from cli.context import AppContext, pass_app


@click.command("annotate")
@click.argument("message_id", type=int)
@click.option("--intent", required=True, help="The right intent (one of the domain's).")
@click.option(
    "--entities",
    "entities_json",
    metavar="JSON",
    help='Entity spans on the message text: \'[{"start": 14, "end": 19, "entity": "color", "value": "black"}]\' '
    "(\"value\" optional; '[]' for none). Default: the entities the model found.",
)
@click.option(
    "--example",
    "markup",
    metavar="MARKUP",
    help="The example as you want it written, with [black](color) markup: to edit personal data out of the text.",
)
@click.option("--test", is_flag=True, help="Add to the held-out test file instead of the training data.")
@pass_app
def nlu_annotate(app: AppContext, message_id: int, intent: str, entities_json: str | None, markup: str | None, test):
    """Add MESSAGE_ID's text as an example of --intent."""
    entities = None
    if entities_json is not None:
        try:
            entities = json.loads(entities_json)
        except ValueError as exc:
            raise click.ClickException(f"--entities is not JSON: {exc}") from None
        if not isinstance(entities, list):
            raise click.ClickException("--entities must be a JSON list of {start, end, entity, value} objects")
    files = ReviewFiles()
    try:
        result = annotate(app.db, files, message_id, intent, entities=entities, markup=markup, test=test, actor="cli")
    except AnnotationRefused as exc:
        raise click.ClickException(f"refused ({exc.reason}): {exc.details}") from None
    where = files.relative(result.path)
    if result.added:
        click.echo(f"added to {where} as {result.intent}: {result.example}")
    else:
        click.echo(f"already in {where} as {result.intent}, nothing to add; marked as reviewed")


@click.command("ignore")
@click.argument("message_id", type=int)
@pass_app
def nlu_ignore(app: AppContext, message_id: int):
    """Take MESSAGE_ID's text out of the review inbox without adding an example."""
    try:
        ignore(app.db, message_id, actor="cli")
    except AnnotationRefused as exc:
        raise click.ClickException(f"refused ({exc.reason}): {exc.details}") from None
    click.echo(f"message {message_id} ignored")
