"""The web app's limits and transport rules: request sizes, Secure cookies and HSTS behind https, and the requests
anyone can make (the health check, a made-up API token) taking no write lock."""

from __future__ import annotations

import io
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from checkout.access.api_tokens import create_token, list_tokens
from checkout.settings import Settings
from cli.run_command import process_specs
from tests.integration.dashboard import csrf_token, log_in
from web import create_app
from web.request_limits import MAX_REQUEST_BYTES, largest_body


def chat_token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)


def upload(client, content: bytes):
    return client.post(
        "/seller/catalog/import",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, "/seller/catalog"), "file": (io.BytesIO(content), "catalog.csv")},
    )


# --- request sizes ----------------------------------------------------------------------------------------------


def test_a_chat_message_larger_than_64_kb_is_refused_unread(app, rasa):
    client = app.test_client()
    token = chat_token(client)
    response = client.post(
        "/chat/messages", json={"text": "a" * (MAX_REQUEST_BYTES + 1)}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 413
    assert "error" in response.get_json()
    assert rasa.received == []
    assert client.post("/chat/messages", json={"text": "hi"}, headers={"X-CSRFToken": token}).status_code == 200


def test_a_large_form_post_is_refused_before_the_csrf_check_reads_it(app):
    client = app.test_client()
    response = client.post("/seller/login", data={"email": "x" * (MAX_REQUEST_BYTES + 1), "password": "p"})
    assert response.status_code == 413


def test_only_the_catalog_import_takes_a_larger_body(app, seller):
    # Over 64 KB: read and checked row by row (here: refused for its header, not for its size).
    big = b"not,the,header\n" + b"x,y,z\n" * 20_000
    assert len(big) > MAX_REQUEST_BYTES
    response = upload(seller, big)
    assert response.status_code == 422 and "header" in response.get_data(as_text=True)
    # Over 5 MB: refused with the page's own message.
    response = upload(seller, b"x" * (5 * 1024 * 1024 + MAX_REQUEST_BYTES))
    assert response.status_code == 302
    assert "larger than 5 MB" in seller.get(response.headers["Location"]).get_data(as_text=True)


def test_waitress_refuses_what_no_route_takes(tmp_path):
    settings = Settings(rasa_api_token="t", shop_var_dir=str(tmp_path))
    [web] = [spec for spec in process_specs(settings, tmp_path / "m.tar.gz", tmp_path / "e.yml") if spec.name == "web"]
    assert f"--max-request-body-size={largest_body()}" in web.command


# --- HTTPS ------------------------------------------------------------------------------------------------------


def app_at(clean_db, url: str):
    settings = Settings(
        database_url=clean_db.url.replace("postgresql+psycopg://", "postgresql://"), shop_public_url=url
    )
    flask_app = create_app({"SETTINGS": settings, "TESTING": True})
    flask_app.extensions["database"].dispose()
    flask_app.extensions["database"] = clean_db
    return flask_app


def test_behind_https_the_cookie_is_secure_and_hsts_is_sent(app, clean_db):
    secure = app_at(clean_db, "https://shop.example")
    client = secure.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # as the TLS proxy in front of the shop passes it on
    response = log_in(client)  # the seller of the `app` fixture, in the same database
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000"
    # Plain http (the local default): a Secure cookie would never come back, and HSTS would mean nothing.
    plain = app_at(clean_db, "http://127.0.0.1:8000")
    response = log_in(plain.test_client())
    assert response.status_code == 302 and "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in plain.test_client().get("/").headers


# --- no write lock for anyone's requests -----------------------------------------------------------------------


def sqlite_file(db) -> Path | None:
    url = make_url(str(db.url))
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def answered_while_the_database_is_locked(app, path: str, headers: dict | None = None) -> int | None:
    """The status `path` answers while another connection holds SQLite's write lock; None if it waited for it."""
    holder = sqlite3.connect(sqlite_file(app.extensions["database"]), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    answer: dict[str, int] = {}
    thread = threading.Thread(
        target=lambda: answer.update(status=app.test_client().get(path, headers=headers or {}).status_code),
        daemon=True,
    )
    try:
        thread.start()
        thread.join(3)
        in_time = answer.get("status")
    finally:
        holder.rollback()
        holder.close()
    thread.join(60)  # let it finish, now that the lock is free, before the database is emptied for the next test
    return in_time


@pytest.fixture
def locked_app(app):
    if sqlite_file(app.extensions["database"]) is None:
        pytest.skip("SQLite's write lock")
    return app


def test_the_health_check_takes_no_write_lock(locked_app):
    assert answered_while_the_database_is_locked(locked_app, "/healthz") == 200


def test_a_made_up_api_token_takes_no_write_lock(locked_app):
    for header in ("Bearer shop_madeup", "Bearer ", "Basic abc"):
        assert answered_while_the_database_is_locked(locked_app, "/api/orders", {"Authorization": header}) == 401


def test_a_good_token_still_answers_and_notes_its_use(app):
    db = app.extensions["database"]
    with db.transaction() as session:
        _, token = create_token(session, "books")
    assert app.test_client().get("/api/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with db.reading() as session:
        [record] = list_tokens(session)
    assert record.last_used_at is not None
