"""Seller accounts for the dashboard. Passwords are hashed with scrypt (stdlib, memory-hard)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.models import DashboardSession, SellerUser

# n=2**15, r=8 costs ~32 MiB and ~50 ms here: slow for guessing, fine for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSWORD_LENGTH = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SellerError(ValueError):
    pass


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(actual, base64.b64decode(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def add_seller(session: Session, email: str, password: str, actor: str = "cli") -> SellerUser:
    """Creates a seller, or sets a new password for an existing one (how a forgotten password is reset)."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise SellerError(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SellerError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    seller = session.scalar(select(SellerUser).where(SellerUser.email == email))
    action = "seller.password_reset" if seller else "seller.created"
    if seller is None:
        seller = SellerUser(email=email, password_hash="")
        session.add(seller)
    seller.password_hash = hash_password(password)
    seller.active = True
    session.flush()
    # A new password ends every session opened with the old one (someone else may have it).
    session.execute(delete(DashboardSession).where(DashboardSession.seller_id == seller.id))
    record_audit(session, actor, action, "seller_user", seller.id, {"email": email})
    return seller
