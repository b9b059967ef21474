"""Is a webhook request really from Stripe? The Stripe-Signature header checked against the raw body.

Stripe signs `"{t}.{body}"` with HMAC-SHA256 under the endpoint's secret and sends `t=...,v1=...`. stripe-python
checks the signature (any of the v1 values, compared in constant time); its timestamp check only refuses the
past, so the timestamp is checked here, in both directions: a header dated in the future is as suspect."""

from __future__ import annotations

import time

import stripe

TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    pass


def signed_timestamp(header: str) -> int:
    values = [item.split("=", 1)[1] for item in header.split(",") if item.startswith("t=")]
    if len(values) != 1 or not values[0].isdigit():
        raise InvalidSignature("the Stripe-Signature header has no timestamp")
    return int(values[0])


def verify_stripe_signature(body: bytes, header: str | None, secret: str, now: float | None = None) -> None:
    """Raises InvalidSignature unless `header` signs `body` with `secret` within 5 minutes of now."""
    if not secret:
        raise InvalidSignature("no webhook secret is configured (STRIPE_WEBHOOK_SECRET)")
    if not header:
        raise InvalidSignature("no Stripe-Signature header")
    timestamp = signed_timestamp(header)
    try:
        stripe.WebhookSignature.verify_header(body.decode("utf-8"), header, secret, tolerance=None)
    except (UnicodeDecodeError, stripe.SignatureVerificationError) as exc:
        raise InvalidSignature("the signature does not match the body") from exc
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature("the signature's timestamp is more than 5 minutes away")
