"""Dashboard logins: the password check, slowed down after repeated failures, and the sessions it opens.

Failures are counted per (email, address): guesses from elsewhere never slow the real seller down at their own
address. Past a few free failures, each further try waits for a delay that doubles (30 s, 1 min, 2 min ... up to
15 minutes) after the last failure; failures older than an hour, or before the pair's last success, count for
nothing. A second count per address alone slows one address guessing at many emails. Attempts live in the database,
so every web process sees the same guesses, and each attempt is recorded (committed, as a failure until the password
proves otherwise) before it is counted and its password checked: of any number of guesses sent at once, each one
sees all those recorded before it, so no more of them reach the password check than the limit allows. A refused
login never says whether the email exists.

A login is a row of dashboard_sessions; the cookie holds only its random token. Logging out deletes the row; a new
password (checkout.access.sellers.add_seller) deletes all of the seller's.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from checkout.access.sellers import hash_password, verify_password
from checkout.audit import record_audit
from checkout.db.database import Database
from checkout.db.models import DashboardSession, LoginAttempt, SellerUser, utcnow

WINDOW = timedelta(hours=1)
# Failures per (email, address) before any wait: a seller mistyping a few times is never slowed.
FREE_FAILURES_PER_EMAIL = 5
# Per address across emails: higher, several sellers may share an office address.
FREE_FAILURES_PER_ADDRESS = 20
FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(minutes=15)
# A dashboard login lasts a working day.
SESSION_LENGTH = timedelta(hours=12)
# Verified when the email is unknown, so an unknown email takes as long to refuse as a wrong password.
_DUMMY_HASH: str | None = None


class LoginThrottled(Exception):
    def __init__(self, retry_after: timedelta):
        super().__init__(f"too many failed logins; try again in {retry_after}")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SellerLogin:
    """A successful login: the token the browser keeps (in the signed session cookie) for its session."""

    seller_id: int
    email: str
    token: str


def log_in(db: Database, email: str, password: str, remote_addr: str) -> SellerLogin | None:
    """A new session when the credentials are right, None when not; raises LoginThrottled while this email from this
    address (or this address) must wait after its failures."""
    email = (email or "").strip().lower()[:254]
    remote_addr = (remote_addr or "unknown")[:64]
    with db.transaction() as session:
        attempt = LoginAttempt(email=email, remote_addr=remote_addr, succeeded=False, attempted_at=utcnow())
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    seller: SellerUser | None = None
    ok = False
    # Reading only from here to the verdict: the ~50 ms of scrypt must not hold SQLite's write lock.
    with db.reading() as session:
        wait = _wait(session, email, remote_addr, attempt_id, utcnow())
        if wait is None:
            seller = session.scalar(select(SellerUser).where(SellerUser.email == email, SellerUser.active.is_(True)))
            ok = verify_password(password or "", seller.password_hash if seller else _dummy_hash())
    token = secrets.token_urlsafe(32)
    with db.transaction() as session:
        now = utcnow()
        # Failures older than the window count for nothing; dropping them keeps the table small.
        session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - 4 * WINDOW))
        session.execute(delete(DashboardSession).where(DashboardSession.expires_at < now))
        if wait is not None:  # refused unchecked: it counts for nothing
            session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
        elif ok and seller is not None:
            session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True))
            session.add(
                DashboardSession(
                    id=_digest(token), seller_id=seller.id, created_at=now, expires_at=now + SESSION_LENGTH
                )
            )
            audit = {"remote_addr": remote_addr}
            record_audit(session, f"seller:{email}", "seller.login", "seller_user", seller.id, audit)
    if wait is not None:
        raise LoginThrottled(wait)
    if not ok or seller is None:
        return None
    return SellerLogin(seller.id, seller.email, token)


def current_seller(session: Session, token: str) -> SellerUser | None:
    """The seller whose live session this token opened, or None (logged out, expired, new password, deactivated)."""
    if not token:
        return None
    return session.scalar(
        select(SellerUser)
        .join(DashboardSession, DashboardSession.seller_id == SellerUser.id)
        .where(
            DashboardSession.id == _digest(token), DashboardSession.expires_at > utcnow(), SellerUser.active.is_(True)
        )
    )


def log_out(db: Database, token: str) -> None:
    """Ends this session: its cookie, wherever a copy of it is, opens nothing any more."""
    with db.transaction() as session:
        session.execute(delete(DashboardSession).where(DashboardSession.id == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _wait(session: Session, email: str, remote_addr: str, attempt_id: int, now: datetime) -> timedelta | None:
    """How much longer this attempt had to wait, or None when it may go ahead. Counts every other attempt recorded
    so far, those still being checked as failures."""
    since = now - WINDOW
    pair = (LoginAttempt.email == email) & (LoginAttempt.remote_addr == remote_addr)
    last_success = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(pair, LoginAttempt.succeeded.is_(True))
    )
    if last_success is not None:
        since = max(since, _aware(last_success))
    waits = [
        _backoff(session, pair, FREE_FAILURES_PER_EMAIL, attempt_id, since, now),
        _backoff(
            session, LoginAttempt.remote_addr == remote_addr, FREE_FAILURES_PER_ADDRESS, attempt_id, now - WINDOW, now
        ),
    ]
    longest = max(waits)
    return longest if longest > timedelta(0) else None


def _backoff(
    session: Session, who: ColumnElement[bool], free: int, attempt_id: int, since: datetime, now: datetime
) -> timedelta:
    count, latest = session.execute(
        select(func.count(), func.max(LoginAttempt.attempted_at)).where(
            who, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since, LoginAttempt.id != attempt_id
        )
    ).one()
    if count < free:
        return timedelta(0)
    delay = min(FIRST_DELAY * 2 ** min(count - free, 10), LONGEST_DELAY)
    return _aware(latest) + delay - now


def _aware(moment: datetime | str) -> datetime:
    """SQLite's max() hands back text without the column type; put the UTC datetime back."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not a real password, only for timing")
    return _DUMMY_HASH
