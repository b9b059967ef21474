"""GET /api/...: bearer tokens, pagination, 404s, and the same objects as the CLI exports."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from checkout.access.api_tokens import create_token, revoke_token
from checkout.records.recorder import apply_event
from checkout.settings import Settings
from cli.context import AppContext
from cli.main import shop
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog
from tests.records_events import SHOP_SECRET, bot_event, user_event
from web import create_app

STATUSES = ["awaiting_payment", "paid", "fulfilled", "cancelled"]


@pytest.fixture
def shop_data(clean_db, tmp_path):
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        for i in range(7):
            customer = add_customer(session, f"user-{i}", f"Customer {i}", phone=f"+3361234567{i}")
            for j in range(i % 3 + 1):
                add_order(
                    session,
                    customer,
                    f"N{i}{j}AAA",
                    [("TEE-LOGO-BLK-M", j + 1)],
                    at(f"2026-11-{10 + i} 1{j}:00"),
                    status=STATUSES[(i + j) % 4],
                )
        for k in range(5):
            apply_event(session, user_event("user-0", f"question {k}", "product_info", 0.9 - k / 100), SHOP_SECRET)
            apply_event(session, bot_event("user-0", f"answer {k}", "utter_price"), SHOP_SECRET)
        _, token = create_token(session, "spreadsheet")
        _, revoked = create_token(session, "old laptop")
        revoke_token(session, 2)
    settings = Settings(database_url=clean_db.url, rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}")
    app = create_app({"SETTINGS": settings, "TESTING": True})
    yield app.test_client(), token, revoked, settings
    app.extensions["database"].dispose()


def get(client, path, token):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def cli_json(settings, *args):
    context = AppContext(settings)
    result = CliRunner().invoke(shop, list(args), obj=context, catch_exceptions=False)
    context.db.dispose()
    return json.loads(result.output)


def all_pages(client, path, token) -> list:
    items = []
    while path:
        response = get(client, path, token)
        assert response.status_code == 200
        items += response.get_json()
        link = response.headers.get("Link")
        path = None
        if link:
            url = urlsplit(link.split(";")[0].strip("<>"))
            path = f"{url.path}?{url.query}"
    return items


@pytest.mark.parametrize(
    "path", ["/api/orders", "/api/orders/N00AAA", "/api/customers", "/api/customers/1", "/api/customers/1/messages"]
)
def test_every_endpoint_wants_a_valid_token(shop_data, path):
    client, token, revoked, _ = shop_data
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Bearer {revoked}"},
        {"Authorization": f"Basic {token}"},
        {"Authorization": "Bearer " + "x" * 5000},
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "token" in response.get_json()["error"]
    assert get(client, path, token).status_code == 200


def test_orders_pages_put_together_equal_the_cli_export(shop_data):
    client, token, _, settings = shop_data
    assert all_pages(client, "/api/orders?per_page=4", token) == cli_json(settings, "orders", "export")
    assert all_pages(client, "/api/orders?status=paid&since=2026-11-12&per_page=2", token) == cli_json(
        settings, "orders", "export", "--status", "paid", "--since", "2026-11-12"
    )


def test_a_page_says_the_total_and_where_the_next_one_is(shop_data):
    client, token, _, _ = shop_data
    first = get(client, "/api/orders?per_page=5", token)
    assert len(first.get_json()) == 5 and int(first.headers["X-Total-Count"]) == 13
    assert "page=2" in first.headers["Link"] and 'rel="next"' in first.headers["Link"]
    last = get(client, "/api/orders?per_page=5&page=3", token)
    assert len(last.get_json()) == 3 and "Link" not in last.headers
    assert get(client, "/api/orders?per_page=5&page=9", token).get_json() == []
    assert first.headers["Cache-Control"] == "no-store"


def test_one_order_and_unknown_ones(shop_data):
    client, token, _, settings = shop_data
    exported = {o["number"]: o for o in cli_json(settings, "orders", "export")}
    assert get(client, "/api/orders/N21AAA", token).get_json() == exported["N21AAA"]
    assert get(client, "/api/orders/n21aaa", token).get_json() == exported["N21AAA"]
    missing = get(client, "/api/orders/ZZZZ99", token)
    assert missing.status_code == 404 and missing.get_json() == {"error": "no order with that number"}


def test_customers_equal_the_cli_export_and_unknown_ids_are_404(shop_data):
    client, token, _, settings = shop_data
    exported = cli_json(settings, "customers", "export")
    assert all_pages(client, "/api/customers?per_page=3", token) == exported
    assert get(client, "/api/customers/3", token).get_json() == exported[2]
    for path in ("/api/customers/999", "/api/customers/999/messages"):
        assert get(client, path, token).status_code == 404
    assert get(client, "/api/customers/abc", token).status_code == 404


def test_a_customers_messages_in_order_as_in_the_privacy_export(shop_data):
    client, token, _, settings = shop_data
    messages = all_pages(client, "/api/customers/1/messages?per_page=3", token)
    assert [m["text"] for m in messages] == [t for k in range(5) for t in (f"question {k}", f"answer {k}")]
    assert messages[0]["intent"] == "product_info" and messages[0]["confidence"] == 0.9
    assert messages == cli_json(settings, "customers", "export", "1")["messages"]


@pytest.mark.parametrize(
    "query", ["page=0", "page=x", "per_page=0", "per_page=201", "status=lost", "since=yesterday", "until=2026-13-01"]
)
def test_bad_parameters_get_a_clear_400(shop_data, query):
    client, token, _, _ = shop_data
    response = get(client, f"/api/orders?{query}", token)
    assert response.status_code == 400 and response.get_json()["error"]


def test_api_tokens_from_the_cli(clean_db, tmp_path):
    settings = Settings(database_url=clean_db.url, rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}")
    runner = CliRunner()
    created = runner.invoke(shop, ["api-token", "create", "accounting"], obj=AppContext(settings))
    token = created.stdout.strip().splitlines()[-1]
    app = create_app({"SETTINGS": settings, "TESTING": True})
    client = app.test_client()
    assert get(client, "/api/orders", token).status_code == 200
    listed = runner.invoke(shop, ["api-token", "list"], obj=AppContext(settings)).output
    assert "accounting" in listed and token not in listed
    assert runner.invoke(shop, ["api-token", "revoke", "1"], obj=AppContext(settings)).exit_code == 0
    assert get(client, "/api/orders", token).status_code == 401
    assert runner.invoke(shop, ["api-token", "revoke", "99"], obj=AppContext(settings)).exit_code == 1
    app.extensions["database"].dispose()
