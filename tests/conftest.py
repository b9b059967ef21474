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


# --- Two workers (`make test`: pytest-xdist) ------------------------------------------------------------------
STACK_TESTS = ("tests/e2e/", "tests/browser/")


def pytest_xdist_make_scheduler(config, log):
    """Every test that needs the running stack on one worker, in order (they share one stack and one model, and Rasa
    wants a core of its own), and each other module whole on whichever worker is free (its module fixtures, a
    database or a gateway process, made once). pytest-xdist's own `loadgroup` cannot do it under pytest 9 (it renames
    node ids, which pytest 9 no longer reads back)."""
    from xdist.scheduler import LoadScopeScheduling

    class StackOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "stack" if module.startswith(STACK_TESTS) else module

    return StackOnOneWorker(config, log)


# --- The end-to-end stack (tests/e2e/, tests/browser/) ---------------------------------------------------------
# Defined here, in the one conftest both directories share: a fixture imported into two conftests is two
# fixtures, and each started a stack of its own (two Rasa servers for the rest of the session).

_model: dict = {}


def pytest_collection_finish(session) -> None:
    """Trains (or restores from the cache) the model before the first test when a selected test needs it, so
    that a training of several minutes is never counted in one test's time limit (pytest-timeout counts the
    fixtures' set-up): whichever test came first would fail for it, with every test of the stack after it."""
    option = session.config.option
    if option.collectonly or getattr(option, "setupplan", False) or getattr(option, "setuponly", False):
        return
    if not any(_uses_model_fixture(item) for item in session.items):
        return
    from checkout.settings import load_settings
    from cli.training import ensure_model

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    echo = reporter.write_line if reporter is not None else print
    try:
        _model["path"] = ensure_model(load_settings(environ={}).model_cache_path, echo=echo)
    except Exception as exc:  # reported by the tests that need the model
        _model["error"] = exc


def _uses_model_fixture(item) -> bool:
    """Whether the test gets `model` from the fixture below (a test may also take a parameter of that name)."""
    fixturedefs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).get("model") or ()
    return bool(fixturedefs) and getattr(fixturedefs[-1].func, "__module__", None) == __name__


@pytest.fixture(scope="session")
def model():
    """The trained model for the current data (trained once, then taken from the cache)."""
    if "error" in _model:
        raise _model["error"]
    if "path" in _model:
        return _model["path"]
    from checkout.settings import load_settings
    from cli.training import ensure_model

    return ensure_model(load_settings(environ={}).model_cache_path)


@pytest.fixture(scope="session")
def stack(tmp_path_factory, model):
    """Rasa, the action server, the web app and the records consumer, started once for the session."""
    from tests.e2e.conftest import running_stack

    with running_stack(tmp_path_factory.mktemp("stack"), model, "e2e-stack.log") as running:
        yield running
