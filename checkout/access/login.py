"""Dashboard logins: password check with rate limiting of failed attempts, per email and per address.

Attempts live in the database, so every web process (waitress threads, several instances) counts the
same guesses. A refused login never says whether the email exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from checkout.access.sellers import hash_password, verify_password
from checkout.audit import record_audit
from checkout.db.database import Database
from checkout.db.models import LoginAttempt, SellerUser, utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
# Higher: several sellers may share an office address; this stops one address guessing many emails.
MAX_FAILURES_PER_ADDRESS = 20
# Verified when the email is unknown, so an unknown email takes as long to refuse as a wrong password.
_DUMMY_HASH: str | None = None


class LoginThrottled(Exception):
    def __init__(self, retry_after: timedelta):
        super().__init__(f"too many failed logins; try again in {retry_after}")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SellerSession:
    """What the web session keeps about a logged-in seller."""

    seller_id: int
    email: str
    fingerprint: str  # changes when the password changes, which ends the seller's other sessions


def password_fingerprint(seller: SellerUser) -> str:
    return seller.password_hash[-16:]


def log_in(db: Database, email: str, password: str, remote_addr: str) -> SellerSession | None:
    """The seller's session when the credentials are right, None when not; raises LoginThrottled after
    too many recent failures. Every checked attempt is recorded."""
    email = (email or "").strip().lower()[:254]
    remote_addr = (remote_addr or "unknown")[:64]
    # Reading only: the ~50 ms of scrypt must not hold SQLite's write lock.
    with db.reading() as session:
        since = utcnow() - WINDOW
        _check_throttle(session, LoginAttempt.email == email, MAX_FAILURES_PER_EMAIL, since)
        _check_throttle(session, LoginAttempt.remote_addr == remote_addr, MAX_FAILURES_PER_ADDRESS, since)
        seller = session.scalar(select(SellerUser).where(SellerUser.email == email, SellerUser.active.is_(True)))
        ok = verify_password(password or "", seller.password_hash if seller else _dummy_hash()) and seller is not None
    with db.transaction() as session:
        now = utcnow()
        session.add(LoginAttempt(email=email, remote_addr=remote_addr, succeeded=ok, attempted_at=now))
        # Attempts older than the window count for nothing; dropping them keeps the table small.
        session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - 4 * WINDOW))
        if not ok or seller is None:  # ok means a seller was found; the check says so to the type checker
            return None
        record_audit(session, f"seller:{email}", "seller.login", "seller_user", seller.id, {"remote_addr": remote_addr})
    return SellerSession(seller.id, seller.email, password_fingerprint(seller))


def current_seller(session: Session, seller_id: int, fingerprint: str) -> SellerUser | None:
    """The seller behind a session, or None when deactivated or the password changed since login."""
    seller = session.get(SellerUser, seller_id)
    if seller is None or not seller.active or password_fingerprint(seller) != fingerprint:
        return None
    return seller


def _check_throttle(session: Session, who: ColumnElement[bool], limit: int, since: datetime) -> None:
    failures = session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            who, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since
        )
    ).one()
    count, oldest = failures
    if count >= limit:
        oldest = _aware(oldest)
        raise LoginThrottled(max(oldest + WINDOW - utcnow(), timedelta(seconds=1)))


def _aware(moment: datetime | str) -> datetime:
    """SQLite's min() hands back text without the column type; put the UTC datetime back."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not a real password, only for timing")
    return _DUMMY_HASH
