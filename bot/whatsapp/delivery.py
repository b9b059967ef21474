"""Sending one outbox row to a WhatsApp chat, for bot/outbox.py, within the 24-hour window or as a template.

Free-form messages reach a shopper only within 24 hours of their last message. Outside it, a notice goes as the
approved template WHATSAPP_TEMPLATE_ORDER_UPDATE (its one body parameter the notice's text); without one it is
held until the shopper writes, and the seller sees it waiting."""

from __future__ import annotations

import asyncio
import re

from bot.gateway import Gateway
from bot.outbox import ChannelDown, Claimed, NotDelivered, OutsideWindow
from bot.pacing import CampaignPace
from bot.whatsapp.graph_api import GraphApi, GraphError, GraphUnreachable
from bot.whatsapp.rendering import render
from bot.whatsapp.replies import send_outgoing
from checkout.whatsapp.window import free_form_allowed

NOT_DELIVERABLE = "not deliverable until the shopper writes (more than 24 hours since their last message)"
CAMPAIGN_OUTSIDE_WINDOW = "not sent: last wrote over 24 hours ago; WhatsApp takes offers only within 24 hours"
MAX_PARAMETER = 1024
# Meta refuses template parameters with line breaks, tabs or more than four spaces in a row (error 132018).
PARAMETER_BREAKS = re.compile(r"\s*[\n\t]+\s*| {5,}")


class WhatsAppSender:
    def __init__(self, gw: Gateway, api: GraphApi) -> None:
        self.gw, self.api = gw, api

    async def send(self, row: Claimed, chat_id: str, pace: CampaignPace | None) -> str | None:
        try:
            if await asyncio.to_thread(free_form_allowed, self.gw.db, row.id, chat_id):
                try:
                    return await self._free_form(row, chat_id, pace)
                except GraphError as exc:
                    if not exc.outside_window:  # our clock and Meta's disagree: the template decides
                        raise
            if row.campaign_id is not None:
                # Our template is for order updates: an offer sent as one would break Meta's rules.
                raise NotDelivered(CAMPAIGN_OUTSIDE_WINDOW, permanent=True)
            return await self._template(row, chat_id)
        except GraphUnreachable as exc:
            raise ChannelDown(str(exc)) from exc
        except GraphError as exc:
            if exc.transient:
                raise ChannelDown(str(exc)) from exc
            raise NotDelivered(str(exc), permanent=exc.code == 100) from exc  # 100: this body is refused as it is

    async def _free_form(self, row: Claimed, chat_id: str, pace: CampaignPace | None) -> str | None:
        items = render([{"text": row.text, "buttons": row.buttons or [], "image": row.image_url}])
        sent: list[str] = []
        for item in items:
            if pace is not None:  # a picture and its text are two messages, each counted by the pace
                await asyncio.sleep(pace.delay(chat_id))
                pace.started()
            try:
                sent += await send_outgoing(self.gw, self.api, chat_id, [item])
            finally:
                if pace is not None:
                    pace.finished(chat_id)
        return sent[-1] if sent else None

    async def _template(self, row: Claimed, chat_id: str) -> str:
        settings = self.gw.settings
        if not settings.whatsapp_template_order_update:
            raise OutsideWindow(NOT_DELIVERABLE)
        return await self.api.send(
            template_body(
                chat_id, settings.whatsapp_template_order_update, settings.whatsapp_template_language, row.text
            )
        )


def template_body(to: str, name: str, language: str, text: str) -> dict:
    parameter = PARAMETER_BREAKS.sub(" · ", text.strip())[:MAX_PARAMETER]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": parameter}]}],
        },
    }
