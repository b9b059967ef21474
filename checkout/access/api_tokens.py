"""Bearer tokens for the JSON API: shown once at creation, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.database import Database
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


def authenticate(db: Database, presented: str | None) -> int | None:
    """The id of the live token matching `presented`, or None. Looked up by its SHA-256: a timing difference in that
    lookup tells an attacker nothing about any stored token's value. Read-only unless the token is good and its
    last use is due an update, so a made-up token (anyone can send one) never waits for or takes SQLite's write lock."""
    if not presented or len(presented) > 200:
        return None
    digest = _hash(presented)
    with db.reading() as session:
        record = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if record is None or record.revoked_at is not None:
            return None
        token_id, last_used = record.id, record.last_used_at
    now = utcnow()
    if last_used is None or now - last_used > LAST_USED_RESOLUTION:
        with db.transaction() as session:
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return token_id
