"""`POST /webhooks/stripe`: Stripe's events about Checkout Sessions and refunds, verified, then applied to orders
once.

Exempt from CSRF (Stripe cannot carry our token): the signature on the raw body is what proves the sender.
The answer comes as soon as the transaction commits; shopper messages are outbox rows written in it, and the
gateways deliver them afterwards, never inside this request."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request

from checkout.payments.stripe.events import apply_stripe_event
from checkout.payments.stripe.signature import InvalidSignature, verify_stripe_signature

bp = Blueprint("stripe_webhook", __name__)
MAX_BODY = 512 * 1024  # Stripe's events are a few kilobytes


@bp.post("/webhooks/stripe")
def receive_event():
    if (request.content_length or 0) > MAX_BODY:
        return {"error": "body too large"}, 413
    body = request.get_data(cache=False)  # the raw bytes Stripe signed, before anything parses them
    try:
        verify_stripe_signature(
            body, request.headers.get("Stripe-Signature"), current_app.config["SETTINGS"].stripe_webhook_secret
        )
    except InvalidSignature as exc:
        current_app.logger.warning("stripe webhook refused: %s", exc)
        return {"error": f"refused: {exc}"}, 400
    try:
        event = json.loads(body)
    except ValueError:
        return {"error": "the body is not JSON"}, 400
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"]:
        return {"error": "not a Stripe event"}, 400
    outcome = apply_stripe_event(current_app.extensions["database"], event)
    current_app.logger.info("stripe event %s (%s): %s", event["id"], event.get("type"), outcome)
    return {"received": True, "outcome": outcome}
