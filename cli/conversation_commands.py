"""`shop handoff`: conversations handed to the seller, and handing them back to the assistant."""

from __future__ import annotations

import click

from checkout.assistant_client import AssistantClient, AssistantUnavailable
from checkout.handoff import hand_back_to_assistant, open_handoffs
from cli.context import AppContext, pass_app
from cli.secrets import with_generated_secrets


@click.group()
def handoff():
    """Conversations the assistant handed to the seller."""


@handoff.command("list")
@pass_app
def handoff_list(app: AppContext):
    """Conversations waiting for the seller, oldest first."""
    with app.db.transaction() as session:
        waiting = open_handoffs(session)
        for c in waiting:
            click.echo(
                f"{c.sender_id}\t{c.channel}\tcustomer {c.customer_id}\tsince {c.handoff_requested_at:%Y-%m-%d %H:%M}"
            )
        if not waiting:
            click.echo("No conversation is waiting for the seller.")


@handoff.command("release")
@click.argument("sender")
@pass_app
def handoff_release(app: AppContext, sender: str):
    """Hand the conversation with SENDER (Rasa sender id) back to the assistant."""
    settings = with_generated_secrets(app.settings)
    try:
        count = hand_back_to_assistant(
            app.db, AssistantClient(settings.rasa_url, settings.rasa_api_token), sender, actor="cli"
        )
    except AssistantUnavailable as exc:
        raise click.ClickException(
            f"the Rasa server at {settings.rasa_url} did not take it ({exc}); is `shop run` running?"
        ) from None
    click.echo(f"The assistant answers {sender} again" + ("." if count else " (no handoff was recorded for it)."))
