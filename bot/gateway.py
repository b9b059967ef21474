"""What every handler needs, kept in the application's bot_data: settings, database, the Rasa client."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import ContextTypes

from checkout.assistant_client import AsyncAssistantClient
from checkout.db.database import Database
from checkout.settings import Settings

CHANNEL = "telegram"  # the REST metadata "channel", so customer records say where a shopper wrote
# How long a reply from a slow Rasa is still awaited (and then delivered) after the shopper was told it is coming.
LATE_REPLY_SECONDS = 60.0


@dataclass
class Gateway:
    settings: Settings
    db: Database
    assistant: AsyncAssistantClient

    @classmethod
    def from_settings(cls, settings: Settings) -> Gateway:
        return cls(
            settings,
            Database(settings.database_url),
            AsyncAssistantClient(settings.rasa_url, timeout=LATE_REPLY_SECONDS),
        )

    async def close(self) -> None:
        await self.assistant.close()
        self.db.dispose()


def gateway(context: ContextTypes.DEFAULT_TYPE) -> Gateway:
    return context.application.bot_data["gateway"]
