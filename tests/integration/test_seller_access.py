"""Seller dashboard access: login, rate limiting, logout, every page behind the login, CSRF on every
state-changing route, security headers, shopper-typed HTML shown as text on every page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from checkout.access.login import FREE_FAILURES_PER_ADDRESS, FREE_FAILURES_PER_EMAIL
from checkout.access.sellers import add_seller
from checkout.db.models import AuditLog, LoginAttempt, utcnow
from tests.integration.dashboard import EMAIL, PASSWORD, csrf_token, log_in

PAGES = [
    "/seller/orders",
    "/seller/orders/A7K2Q9",
    "/seller/orders/B8M3R4",
    "/seller/customers",
    "/seller/customers/{marie}",
    "/seller/customers/{evil}",
    "/seller/inbox",
    "/seller/conversations/{talk}",
    "/seller/catalog",
    "/seller/insights",
    "/seller/campaigns",
    "/seller/training",
    "/seller/training/models",
    "/seller/orders/export.csv",
    "/seller/catalog/export.csv",
    "/seller/customers?segment=new&sort=spent&dir=asc",
]


def pages(ids: dict) -> list[str]:
    return [p.format(**ids) for p in PAGES]


def state_changing_routes(app) -> list[str]:
    """Every POST route of the app, with sample values for its parameters."""
    samples = {
        "number": "A7K2Q9",
        "action": "paid",
        "variant_id": "1",
        "conversation_id": "1",
        "campaign_id": "1",
        "message_id": "1",
        "model_id": "candidate-1",
        "token": "forged-token",
    }
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            routes.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: samples[m.group(1)], rule.rule))
    return routes


def test_seller_root_goes_to_orders_or_to_login(app, seller):
    assert app.test_client().get("/seller").headers["Location"].startswith("/seller/login")
    assert seller.get("/seller").headers["Location"] == "/seller/orders"


def test_every_page_renders_for_a_seller(seller, shop):
    for path in pages(shop):
        response = seller.get(path)
        assert response.status_code == 200, path
        if response.mimetype == "text/html":
            assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.get_data(
                as_text=True
            )


def test_every_page_redirects_to_login_when_logged_out(app, shop):
    client = app.test_client()
    for path in pages(shop):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/seller/login?next="), path


def test_every_post_redirects_to_login_when_logged_out(app, shop):
    client = app.test_client()
    token = csrf_token(client)
    for path in state_changing_routes(app):
        if path.startswith("/seller") and path != "/seller/login":
            response = client.post(path, data={"csrf_token": token})
            assert response.status_code == 302 and "/seller/login" in response.headers["Location"], path


def test_every_state_changing_route_refuses_a_post_without_the_csrf_token(app, seller, shop):
    routes = state_changing_routes(app)
    assert {
        "/seller/login",
        "/seller/logout",
        "/seller/orders/A7K2Q9/paid",
        "/seller/catalog/import",
        "/seller/catalog/variants/1",
        "/seller/conversations/1/reply",
        "/seller/conversations/1/release",
        "/chat/messages",
    } <= set(routes)
    # Exempt: payment providers' webhooks, which prove themselves with a signature, and a marketing email's one-click
    # unsubscribe (RFC 8058: a mail client POSTs it with no cookie), which proves itself with its signed token.
    for path in (r for r in routes if "webhook" not in r and not r.startswith("/unsubscribe/")):
        assert seller.post(path, data={"email": EMAIL, "password": PASSWORD}).status_code == 400, path
        assert seller.post(path, data={"csrf_token": "forged"}).status_code == 400, path
    with app.extensions["database"].reading() as session:
        assert session.scalar(select(AuditLog).where(AuditLog.action.like("order.%"))) is None


def test_login_sets_an_httponly_samesite_cookie_and_is_audited(app):
    client = app.test_client()
    response = log_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/seller/orders"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with app.extensions["database"].reading() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "seller.login"))
    assert entry.actor == f"seller:{EMAIL}"


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(app):
    client = app.test_client()
    token = csrf_token(client)
    data = {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    assert (
        client.post("/seller/login", data={**data, "next": "/seller/insights?"}).headers["Location"]
        == "/seller/insights"
    )
    for bad in ("https://evil.example/", "//evil.example/seller", "/\\evil.example"):
        client = app.test_client()
        data["csrf_token"] = csrf_token(client)
        assert client.post("/seller/login", data={**data, "next": bad}).headers["Location"] == "/seller/orders"


@pytest.mark.parametrize(
    "email, password", [(EMAIL, "wrong password!"), ("nobody@example.com", PASSWORD), ("", ""), (EMAIL, "")]
)
def test_wrong_credentials_are_refused_with_one_message(app, email, password):
    response = log_in(app.test_client(), email, password)
    assert response.status_code == 401
    assert "do not match a seller account" in response.get_data(as_text=True)


def test_failed_logins_slow_down_that_email_from_that_address_only(app):
    for _ in range(FREE_FAILURES_PER_EMAIL):
        assert log_in(app.test_client(), EMAIL, "wrong password!").status_code == 401
    response = log_in(app.test_client())
    assert response.status_code == 429
    assert "Too many failed logins. Try again in 30 seconds." in response.get_data(as_text=True)
    # The real seller, at their own address, is not slowed down by guesses from elsewhere...
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert log_in(elsewhere).status_code == 302
    # ...nor is another seller by guesses at this one.
    with app.extensions["database"].transaction() as session:
        add_seller(session, "helper@example.com", PASSWORD)
    assert log_in(app.test_client(), "helper@example.com").status_code == 302
    # After the wait the seller gets in again.
    with app.extensions["database"].transaction() as session:
        session.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(seconds=31)))
    assert log_in(app.test_client()).status_code == 302


def test_failed_logins_are_slowed_per_address_across_emails(app):
    for i in range(FREE_FAILURES_PER_ADDRESS):
        assert log_in(app.test_client(), f"guess{i}@example.com", "wrong password!").status_code == 401
    assert log_in(app.test_client()).status_code == 429
    with app.extensions["database"].reading() as session:  # the refused attempt was not checked, nor kept
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == FREE_FAILURES_PER_ADDRESS


def test_logout_ends_the_session(seller):
    assert seller.get("/seller/orders").status_code == 200
    response = seller.post("/seller/logout", data={"csrf_token": csrf_token(seller, "/seller/orders")})
    assert response.headers["Location"] == "/seller/login"
    assert seller.get("/seller/orders").status_code == 302


def test_a_password_reset_or_deactivation_ends_existing_sessions(app, seller):
    with app.extensions["database"].transaction() as session:
        add_seller(session, EMAIL, "a brand new password")
    assert seller.get("/seller/orders").status_code == 302


def test_security_headers_on_dashboard_pages(seller, shop):
    for path in ("/seller/orders", "/seller/insights", "/seller/login"):
        headers = seller.get(path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"


def test_shopper_typed_html_is_text_on_every_page(seller, shop):
    for path in pages(shop):
        response = seller.get(path)
        if response.mimetype == "text/csv":  # a download, never rendered: the cell keeps what was typed
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            continue
        body = response.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, path
    for path in (
        "/seller/orders/B8M3R4",
        "/seller/customers/{evil}".format(**shop),
        "/seller/inbox",
        "/seller/customers",
    ):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seller.get(path).get_data(as_text=True), path
