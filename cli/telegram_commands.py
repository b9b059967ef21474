"""`shop telegram`: switching the Telegram gateway between webhook mode and long polling.

The gateway sets its webhook itself when it starts in webhook mode; these commands do it without starting
it (a deploy step, or going back to polling). They call the Bot API directly: cli/ never imports bot/.
"""

from __future__ import annotations

import click
import httpx
from telegram import Update

from checkout.settings import Settings, telegram_configuration_error
from cli.context import AppContext, pass_app

DEFAULT_API_BASE = "https://api.telegram.org/bot"


@click.group()
def telegram():
    """The Telegram gateway's webhook."""


@telegram.command("set-webhook")
@click.option("--drop-pending-updates", is_flag=True, help="Discard updates Telegram is still holding.")
@pass_app
def set_webhook(app: AppContext, drop_pending_updates: bool):
    """Point Telegram at TELEGRAM_WEBHOOK_URL, with TELEGRAM_WEBHOOK_SECRET required on every update."""
    settings = app.settings
    if not settings.telegram_webhook_url:
        raise click.ClickException("TELEGRAM_WEBHOOK_URL is not set")
    problem = telegram_configuration_error(settings)
    if problem:
        raise click.ClickException(problem)
    bot_api(
        settings,
        "setWebhook",
        {
            "url": settings.telegram_webhook_url,
            "secret_token": settings.telegram_webhook_secret,
            "allowed_updates": list(Update.ALL_TYPES),
            "drop_pending_updates": drop_pending_updates,
        },
    )
    click.echo(f"Webhook set: Telegram now posts updates to {settings.telegram_webhook_url}.")


@telegram.command("delete-webhook")
@click.option("--drop-pending-updates", is_flag=True, help="Discard updates Telegram is still holding.")
@pass_app
def delete_webhook(app: AppContext, drop_pending_updates: bool):
    """Remove the webhook, so the gateway (without TELEGRAM_WEBHOOK_URL) can use long polling."""
    if not app.settings.telegram_bot_token:
        raise click.ClickException("TELEGRAM_BOT_TOKEN is not set")
    bot_api(app.settings, "deleteWebhook", {"drop_pending_updates": drop_pending_updates})
    click.echo("Webhook deleted: start the gateway without TELEGRAM_WEBHOOK_URL to use long polling.")


def bot_api(settings: Settings, method: str, params: dict) -> object:
    """One Bot API call; errors are reported without the token (it is part of the URL)."""
    token = settings.telegram_bot_token
    base = (settings.telegram_api_base_url or DEFAULT_API_BASE).rstrip("/")
    try:
        response = httpx.post(f"{base}{token}/{method}", json=params, timeout=30)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise click.ClickException(
            f"Telegram's Bot API at {base} did not answer: {str(exc).replace(token, '<token>') or type(exc).__name__}"
        ) from None
    if not isinstance(body, dict) or not body.get("ok"):
        description = body.get("description") if isinstance(body, dict) else None
        raise click.ClickException(f"Telegram refused {method}: {description or response.status_code}")
    return body.get("result")
