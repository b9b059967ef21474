"""What every gateway needs, whatever its channel: settings, database, the Rasa client, the flood limit."""

from __future__ import annotations

from dataclasses import dataclass

from bot.flood import FloodGate
from checkout.assistant_client import AsyncAssistantClient
from checkout.db.database import Database
from checkout.settings import Settings

# How long a reply from a slow Rasa is still awaited (and then delivered) after the shopper was told it is coming.
LATE_REPLY_SECONDS = 60.0


@dataclass
class Gateway:
    settings: Settings
    db: Database
    assistant: AsyncAssistantClient
    channel: str  # the REST metadata "channel" and the outbox channel: "telegram", "whatsapp"
    flood: FloodGate  # how many messages a chat may send to Rasa (bot/flood.py)

    @classmethod
    def from_settings(cls, settings: Settings, channel: str) -> Gateway:
        return cls(
            settings,
            Database(settings.database_url),
            # The API token: a turn lost with its Rasa server is looked up in the conversation's tracker.
            AsyncAssistantClient(settings.rasa_url, timeout=LATE_REPLY_SECONDS, api_token=settings.rasa_api_token),
            channel,
            FloodGate.from_settings(settings, channel),
        )

    async def close(self) -> None:
        await self.assistant.close()
        self.db.dispose()
