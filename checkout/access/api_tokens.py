"""Bearer tokens for the JSON API: shown once at creation, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.models import ApiToken, utcnow

PREFIX = "shop_"  # recognisable in a leaked-secret scan
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, actor: str = "cli") -> tuple[ApiToken, str]:
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(name=name.strip()[:100] or "unnamed", token_hash=_hash(token))
    session.add(record)
    session.flush()
    record_audit(session, actor, "api_token.created", "api_token", record.id, {"name": record.name})
    return record, token


def revoke_token(session: Session, token_id: int, actor: str = "cli") -> ApiToken | None:
    record = session.get(ApiToken, token_id)
    if record is None:
        return None
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        record_audit(session, actor, "api_token.revoked", "api_token", record.id, {"name": record.name})
    return record


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def authenticate(session: Session, presented: str | None) -> ApiToken | None:
    """The live token matching `presented`, or None. Looked up by its SHA-256: a timing difference in that
    lookup tells an attacker nothing about any stored token's value."""
    if not presented or len(presented) > 200:
        return None
    digest = _hash(presented)
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if record is None or record.revoked_at is not None:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        record.last_used_at = now
    return record
