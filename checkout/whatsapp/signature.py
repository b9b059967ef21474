"""Meta signs each webhook POST: X-Hub-Signature-256 = "sha256=" + HMAC-SHA256(app secret, raw body), hex."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def valid_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """True only for the right signature of these exact bytes; no secret configured means nothing is valid."""
    if not app_secret or not header or not header.startswith(PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len(PREFIX) :].strip().lower().encode(), expected.encode())
