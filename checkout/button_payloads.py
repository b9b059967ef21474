"""Button payloads: the "/intent{entities}" text Rasa reads as that intent with those entities, whatever the NLU
model says; and short keys for them, for channels that limit button data (Telegram: 64 bytes)."""

from __future__ import annotations

import base64
import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.models import ButtonPayload


def rasa_payload(intent: str, **entities: str) -> str:
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def payload_key(payload: str) -> str:
    """The same payload always gets the same 22-character key, so a key is stored once however often it is shown."""
    return base64.urlsafe_b64encode(hashlib.sha256(payload.encode()).digest()[:16]).decode().rstrip("=")


def store_payloads(session: Session, payloads: list[str]) -> dict[str, str]:
    """payload -> key for each payload, storing the ones not stored yet."""
    keys = {payload: payload_key(payload) for payload in payloads}
    known = set(session.scalars(select(ButtonPayload.key).where(ButtonPayload.key.in_(list(keys.values())))))
    for payload, key in keys.items():
        if key in known:
            continue
        try:
            with session.begin_nested():
                session.add(ButtonPayload(key=key, payload=payload))
        except IntegrityError:  # stored by another gateway instance a moment ago
            pass
        known.add(key)
    return keys


def payload_for(session: Session, key: str) -> str | None:
    """The payload behind a key we issued, or None for a key we never issued (forged or mangled data)."""
    if not isinstance(key, str) or len(key) > 32:
        return None
    return session.scalar(select(ButtonPayload.payload).where(ButtonPayload.key == key))
