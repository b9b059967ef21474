"""The shared Gateway (bot/gateway.py) as Telegram handlers reach it: in the application's bot_data."""

from __future__ import annotations

from telegram.ext import ContextTypes

from bot.gateway import Gateway

CHANNEL = "telegram"  # the REST metadata "channel", so customer records say where a shopper wrote


def gateway(context: ContextTypes.DEFAULT_TYPE) -> Gateway:
    return context.application.bot_data["gateway"]
