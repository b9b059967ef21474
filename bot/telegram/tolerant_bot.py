"""The bot with one change: a malformed update in a getUpdates batch is dropped instead of failing the batch.

PTB parses a whole batch at once; one update it cannot parse makes every poll fail on the same batch, so the
gateway would stop handling messages for good. Here each update is checked alone; a broken one is reduced to
its update_id (so polling moves past it) and logged by id only, since its content may be personal data.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


class TolerantBot(ExtBot):
    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return [checked for raw in result if (checked := self._parseable(raw)) is not None]
        return result

    def _parseable(self, raw: object) -> dict[str, Any] | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            log.warning("dropped an update without an update_id")
            return None
        try:
            Update.de_json(dict(raw), self)
            return raw
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, the update is dropped
            log.warning("dropped malformed update %s (%s)", raw["update_id"], type(exc).__name__)
            return {"update_id": raw["update_id"]}
