"""`shop chat`: talk to the running assistant from a terminal, the way a shopper would.

Trainers and sellers use it to try a conversation without a browser or a Telegram bot. It goes
through the same REST channel as the web chat, so what works here works there.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from typing import TextIO

import click

from checkout.assistant_client import AssistantClient, AssistantUnavailable, new_message_id
from cli.context import AppContext, pass_app
from cli.secrets import generated_secret

QUIT = "/quit"


def show_replies(messages: list[dict]) -> list[dict]:
    """Prints the bot's messages; returns their buttons in the numbered order shown."""
    buttons: list[dict] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("text"):
            click.echo(message["text"])
        if message.get("image"):
            click.echo(f"[image: {message['image']}]")
        for button in message.get("buttons") or []:
            if not isinstance(button, dict):
                continue
            buttons.append(button)
            link = f" ({button['url']})" if button.get("url") else ""
            click.echo(f"  {len(buttons)}. {button.get('title') or button.get('payload')}{link}")
    return buttons


def chosen_button(line: str, buttons: list[dict]) -> dict | None:
    """The button whose number the shopper typed, if the last reply offered that many."""
    if line.isdigit() and 1 <= int(line) <= len(buttons):
        return buttons[int(line) - 1]
    return None


def message_for(line: str, buttons: list[dict]) -> str | None:
    """What to send for a typed line: a button's payload for its number, None for a link button."""
    button = chosen_button(line, buttons)
    if button is None:
        return line
    if not button.get("payload") and button.get("url"):
        click.echo(f"Open {button['url']} in your browser.")
        return None
    click.echo(f"→ {button.get('title') or button.get('payload')}")
    return button.get("payload") or button.get("title") or line


def typed_lines(stdin: TextIO) -> Iterator[str]:
    """Non-blank lines until end of input or /quit; piped lines are echoed so the transcript reads as a chat."""
    interactive = stdin.isatty()
    while True:
        if interactive:
            click.echo("> ", nl=False)
        line = stdin.readline()
        if not line or line.strip() == QUIT:
            return
        if line.strip():
            if not interactive:
                click.echo(f"> {line.strip()}")
            yield line.strip()


@click.command("chat")
@click.option("--sender", help="Conversation id to continue (printed when a chat starts); a new one by default.")
@pass_app
def chat(app: AppContext, sender: str | None):
    """Chat with the running assistant: one message per line, a number picks a button, Ctrl-D or /quit leaves."""
    sender = sender or "cli-" + secrets.token_urlsafe(9)
    # The API token `shop run` gave Rasa: a turn lost with its Rasa server is looked up in the tracker.
    client = AssistantClient(app.settings.rasa_url, generated_secret(app.settings, "rasa_api_token"))
    click.echo(f"Chatting with {app.settings.shop_name} as {sender} (Ctrl-D or {QUIT} to leave).", err=True)
    buttons: list[dict] = []
    for line in typed_lines(sys.stdin):
        text = message_for(line, buttons)
        if text is None:
            continue
        try:
            replies = client.send(sender, text, {"channel": "cli", "user_id": sender, "message_id": new_message_id()})
        except AssistantUnavailable as exc:
            click.echo(
                f"The assistant at {app.settings.rasa_url} is not reachable ({exc}). Is `shop run` running?", err=True
            )
            sys.exit(1)
        buttons = show_replies(replies)
        if not replies:
            click.echo("(no reply)")
    click.echo(f"Bye. Continue later with: shop chat --sender {sender}", err=True)
