"""Dashboard sessions live on the server (logout and a new password end them, wherever the cookie was copied; the
cookie holds no password-hash material), and guesses are slowed per (email, address), each recorded before it is
checked, so guesses sent at once cannot all reach the password check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from checkout.access import login
from checkout.access.login import FREE_FAILURES_PER_EMAIL, LoginThrottled, log_in
from checkout.access.sellers import add_seller
from checkout.db.models import DashboardSession, LoginAttempt, SellerUser, utcnow
from tests.integration.dashboard import EMAIL, PASSWORD, csrf_token
from tests.integration.dashboard import log_in as log_in_with
from tests.integration.races import race


def cookie_data(app, client) -> dict:
    """What the session cookie says: signed, not encrypted, so anyone holding it can read it."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(client.get_cookie("session").value)


def copy_of(app, client):
    """Another browser with the same cookie (copied from a shared computer, a proxy log, malware)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_the_cookie_carries_no_password_hash_material(app, seller):
    with app.extensions["database"].reading() as session:
        password_hash = session.scalar(select(SellerUser.password_hash).where(SellerUser.email == EMAIL))
    data = cookie_data(app, seller)
    text = repr(data)
    salt, digest = password_hash.split("$")[-2:]
    assert all(part[-8:] not in text for part in (salt, digest, password_hash))
    assert set(data) <= {"seller", "csrf_token", "_flashes"} and isinstance(data["seller"], str)


def test_logout_ends_the_session_for_every_copy_of_the_cookie(app, seller):
    thief = copy_of(app, seller)
    assert thief.get("/seller/orders").status_code == 200
    seller.post("/seller/logout", data={"csrf_token": csrf_token(seller, "/seller/orders")})
    assert thief.get("/seller/orders").status_code == 302
    with app.extensions["database"].reading() as session:
        assert session.scalar(select(DashboardSession)) is None


def test_a_new_password_ends_every_session_and_other_logins_stay(app, seller):
    phone = app.test_client()
    assert log_in_with(phone).status_code == 302
    thief = copy_of(app, seller)
    with app.extensions["database"].transaction() as session:
        add_seller(session, EMAIL, "a brand new password")
    for client in (seller, phone, thief):
        assert client.get("/seller/orders").status_code == 302
    assert log_in_with(app.test_client(), EMAIL, "a brand new password").status_code == 302


def test_a_session_ends_after_its_time(app, seller):
    with app.extensions["database"].transaction() as session:
        session.execute(update(DashboardSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert seller.get("/seller/orders").status_code == 302


def test_the_wait_doubles_with_each_further_failure(app):
    db = app.extensions["database"]
    for _ in range(FREE_FAILURES_PER_EMAIL):
        assert log_in(db, EMAIL, "wrong password!", "203.0.113.5") is None
    waits = []
    for _ in range(4):
        with pytest.raises(LoginThrottled) as throttled:
            log_in(db, EMAIL, PASSWORD, "203.0.113.5")
        waits.append(round(throttled.value.retry_after.total_seconds() / 10) * 10)
        with db.transaction() as session:  # the wait passes; the next guess is wrong again
            passed = utcnow() - throttled.value.retry_after - timedelta(seconds=1)
            session.execute(update(LoginAttempt).values(attempted_at=passed))
        assert log_in(db, EMAIL, "wrong password!", "203.0.113.5") is None
    assert waits == [30, 60, 120, 240]
    assert log_in(db, EMAIL, PASSWORD, "198.51.100.7") is not None  # from the seller's own address: at once


def test_guesses_sent_at_once_are_all_recorded_before_any_is_checked(app, monkeypatch):
    db = app.extensions["database"]
    checked = []
    real_verify = login.verify_password
    monkeypatch.setattr(login, "verify_password", lambda *args: checked.append(1) or real_verify(*args))

    def guess():
        try:
            return log_in(db, EMAIL, "wrong password!", "203.0.113.5")
        except LoginThrottled:
            return "throttled"

    results, errors = race([guess] * 12)
    assert errors == []
    assert len(checked) <= FREE_FAILURES_PER_EMAIL
    assert results.count(None) == len(checked) and results.count("throttled") == 12 - len(checked)
