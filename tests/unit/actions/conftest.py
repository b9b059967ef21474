"""Fixtures of the action tests: a copy of a migrated SQLite file holding the demo catalog for each test, and
`actions.runtime` (the one place the actions read their settings and database from) pointed at it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import actions.runtime
from checkout.catalog.importer import import_catalog
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.settings import Settings
from tests.unit.actions.action_harness import DOMAIN, PAYMENT_INSTRUCTIONS, RETURNS_INFO, ROOT, SHIPPING_INFO, Shop


@pytest.fixture(scope="session")
def catalog_template(tmp_path_factory) -> Path:
    """A migrated SQLite file with the demo catalog, made once and copied for each test."""
    path = tmp_path_factory.mktemp("actions-template") / "shop.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        result = import_catalog(session, (ROOT / "data" / "catalog" / "demo.csv").read_bytes(), "EUR")
    assert result.ok, result.errors
    db.dispose()
    return path


@pytest.fixture
def shop(tmp_path, catalog_template, monkeypatch) -> Iterator[Shop]:
    path = tmp_path / "shop.db"
    with closing(sqlite3.connect(catalog_template)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)  # a consistent copy, whatever is still in the template's write-ahead log
    settings = Settings(
        database_url=f"sqlite:///{path}",
        rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}",
        shop_name="Test Shop",
        shop_currency="EUR",
        shop_payment_instructions=PAYMENT_INSTRUCTIONS,
        shop_shipping_info=SHIPPING_INFO,
        shop_returns_info=RETURNS_INFO,
        shop_payment_methods="manual",
    )
    db = Database(settings.database_url)
    monkeypatch.setattr(actions.runtime, "settings", lambda: settings)
    monkeypatch.setattr(actions.runtime, "database", lambda: db)
    yield Shop(db, settings)
    db.dispose()


@pytest.fixture
def domain() -> dict[str, Any]:
    return DOMAIN
