"""Alembic migrations against real SQLite and PostgreSQL: from empty, down and up, and in step with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from checkout.db.database import make_engine
from checkout.db.migrate import MIGRATIONS_DIR, alembic_config, downgrade, upgrade
from checkout.db.models import Base

EXPECTED_TABLES = {
    "products",
    "variants",
    "customers",
    "conversations",
    "messages",
    "carts",
    "cart_items",
    "orders",
    "order_items",
    "payments",
    "processed_events",
    "seller_users",
    "audit_log",
}


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_models_declare_every_table_the_issue_asks_for():
    assert set(Base.metadata.tables) >= EXPECTED_TABLES


def test_upgrade_from_empty_creates_every_table(database_url):
    assert table_names(database_url) == set()
    upgrade(database_url)
    assert table_names(database_url) == set(Base.metadata.tables) | {"alembic_version"}
    assert current_revision(database_url) == head_revision()


def test_upgrade_twice_is_harmless(database_url):
    upgrade(database_url)
    upgrade(database_url)
    assert current_revision(database_url) == head_revision()


def test_downgrade_to_base_and_upgrade_again(database_url):
    upgrade(database_url)
    downgrade(database_url, "base")
    assert table_names(database_url) == {"alembic_version"}
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert table_names(database_url) == set(Base.metadata.tables) | {"alembic_version"}
    assert schema_differences(database_url) == []


def test_migrated_schema_matches_the_models(database_url):
    upgrade(database_url)
    assert schema_differences(database_url) == []


def test_the_comparison_would_notice_a_missing_table(database_url):
    # Guards the test above: an out-of-date schema must show up as a difference.
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_log")
    engine.dispose()
    differences = schema_differences(database_url)
    assert any(d[0] == "add_table" and d[1].name == "audit_log" for d in differences)


def test_one_linear_history():
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
