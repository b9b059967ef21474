"""`/webhooks/whatsapp`: Meta's verification handshake (GET) and its deliveries (POST).

A POST is checked against X-Hub-Signature-256 on the raw body (no app secret configured: every POST refused),
then its messages are stored and its delivery states applied, and it is answered at once: Meta retries a slow
answer, so nothing here waits for Rasa. The WhatsApp gateway's worker answers the stored messages
(bot/whatsapp/worker.py). Exempt from CSRF: the signature is what proves the sender."""

from __future__ import annotations

import hmac
import json

from flask import Blueprint, current_app, request

from checkout.whatsapp.inbox import accept_webhook
from checkout.whatsapp.signature import valid_signature

bp = Blueprint("whatsapp_webhook", __name__)
MAX_BODY = 1024 * 1024  # a delivery is a few kilobytes (media come by id, not inline)


@bp.get("/webhooks/whatsapp")
def verify_subscription():
    """Meta's handshake when the webhook URL is saved: echo hub.challenge for our verify token."""
    settings = current_app.config["SETTINGS"]
    token = request.args.get("hub.verify_token", "")
    if (
        request.args.get("hub.mode") == "subscribe"
        and settings.whatsapp_verify_token
        and hmac.compare_digest(token.encode(), settings.whatsapp_verify_token.encode())
    ):
        return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain"}
    current_app.logger.warning("whatsapp webhook verification refused")
    return "forbidden", 403


@bp.post("/webhooks/whatsapp")
def receive_delivery():
    settings = current_app.config["SETTINGS"]
    if (request.content_length or 0) > MAX_BODY:
        return {"error": "body too large"}, 413
    body = request.get_data(cache=False)  # the raw bytes Meta signed, before anything parses them
    if len(body) > MAX_BODY:
        return {"error": "body too large"}, 413
    if not valid_signature(body, request.headers.get("X-Hub-Signature-256"), settings.whatsapp_app_secret):
        current_app.logger.warning("whatsapp webhook refused: missing or wrong signature")
        return {"error": "forbidden"}, 403
    try:
        payload = json.loads(body)
    except ValueError:
        return {"error": "the body is not JSON"}, 400
    outcome = accept_webhook(
        current_app.extensions["database"],
        payload,
        settings.whatsapp_phone_number_id,
        template_configured=bool(settings.whatsapp_template_order_update),
    )
    if outcome.ignored:
        current_app.logger.info("whatsapp webhook: left out %s", "; ".join(outcome.ignored[:5]))
    return {"stored": outcome.stored, "repeated": outcome.repeated, "states": outcome.states}
