"""The chats of forgotten people, kept only as keyed hashes: events still queued in a broker for them are dropped
instead of bringing their records back.

A chat id is a 10-digit Telegram id or a phone number: a plain hash of it is undone by hashing every such number, so
the hash is an HMAC keyed with the shop's secret (SHOP_SECRET_KEY, or the one `shop run` generated), which a copy of
the database does not hold. Its message is the id's SHA-256, which is what rows written before keying hold: such a
row is re-keyed in place (`seal_unkeyed`) the next time anyone is forgotten, without knowing the id, and is matched by
its old form until then.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import ForgottenSender

# Keyed rows start with this; a bare 64-character hex digest is an unkeyed row from before.
KEYED = "k:"


def _digest(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode()).hexdigest()


def _keyed(digest: str, secret: str) -> str:
    return KEYED + hmac.new(secret.encode(), digest.encode(), hashlib.sha256).hexdigest()[: 64 - len(KEYED)]


def sender_hash(sender_id: str, secret: str) -> str:
    """How a forgotten chat is kept (64 characters, the column's width)."""
    return _keyed(_digest(sender_id), secret)


def remember_forgotten(session: Session, sender_ids: Iterable[str], secret: str, at: datetime) -> None:
    """Events of these chats from before `at` are dropped from now on."""
    seal_unkeyed(session, secret)
    for sender_id in sender_ids:
        key = sender_hash(sender_id, secret)
        row = session.get(ForgottenSender, key)
        if row is None:
            session.add(ForgottenSender(sender_hash=key, forgotten_at=at))
        else:
            row.forgotten_at = at


def forgotten_since(session: Session, sender_id: str, secret: str) -> datetime | None:
    """When this chat's person was forgotten (the latest time), or None."""
    digest = _digest(sender_id)
    return session.scalar(
        select(ForgottenSender.forgotten_at)
        .where(ForgottenSender.sender_hash.in_((_keyed(digest, secret), digest)))
        .order_by(ForgottenSender.forgotten_at.desc())
        .limit(1)
    )


def seal_unkeyed(session: Session, secret: str) -> int:
    """Re-keys the rows written before keying (a chat id's plain SHA-256) into the keyed form; returns how many."""
    unkeyed = list(session.scalars(select(ForgottenSender).where(ForgottenSender.sender_hash.not_like(f"{KEYED}%"))))
    for row in unkeyed:
        keyed = _keyed(row.sender_hash, secret)
        existing = session.get(ForgottenSender, keyed)
        if existing is None:
            session.add(ForgottenSender(sender_hash=keyed, forgotten_at=row.forgotten_at))
        else:
            existing.forgotten_at = max(existing.forgotten_at, row.forgotten_at)
        session.delete(row)
    session.flush()
    return len(unkeyed)
