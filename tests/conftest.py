"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set) and settings."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from checkout.db.database import Database, sqlalchemy_url
from checkout.db.migrate import upgrade
from checkout.settings import Settings

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _fresh_postgres_database() -> tuple[str, callable]:
    """A throwaway database on the TEST_DATABASE_URL server, so test runs never see each other's rows."""
    admin_url = make_url(sqlalchemy_url(POSTGRES_URL))
    name = f"shop_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    url, drop = _fresh_postgres_database()
    yield url
    drop()


@pytest.fixture
def db(database_url) -> Database:
    """A migrated, empty database."""
    upgrade(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(database_url=database_url, rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}")


# A database per test costs a CREATE DATABASE and a migration run on PostgreSQL (~0.4 s); tests that only need
# an empty, migrated schema share one database per module and empty it before each test instead.
@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(request, tmp_path_factory) -> str:
    """An empty database URL shared by one test module, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module-db') / 'shop.db'}"
        return
    url, drop = _fresh_postgres_database()
    yield url
    drop()


@pytest.fixture(scope="module")
def module_db(module_database_url) -> Database:
    upgrade(module_database_url)
    database = Database(module_database_url)
    yield database
    database.dispose()


@pytest.fixture
def clean_db(module_db) -> Database:
    """A migrated database with every table emptied (and ids restarted) before the test."""
    from checkout.db.models import Base

    tables = list(reversed(Base.metadata.sorted_tables))
    with module_db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    return module_db
