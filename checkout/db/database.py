"""Engines and transactions. Nothing connects until a `Database` is created by an entry point."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry


def sqlalchemy_url(url: str) -> str:
    """Accept the URLs operators write (postgres://, postgresql://) and pick our driver (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, begin: str = "BEGIN IMMEDIATE") -> Engine:
    """hide_parameters: a database error's message (logged, shown in a traceback) names the statement, never its
    values, which are shoppers' names, phone numbers, addresses and messages."""
    url = sqlalchemy_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; writers take the write lock up front so two
        # processes reserving the same stock serialise instead of failing on lock upgrade. Readers use
        # a plain BEGIN: in WAL mode they never wait for writers.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" listener issue BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: an application crash loses nothing;
    # a power cut can lose the last commits. Writers then hold the lock for microseconds, not an fsync.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE without RETURNING matched. `Session.execute()` is typed to return a plain
    Result (SQLAlchemy cannot promise a cursor for every statement); for these it is a CursorResult."""
    return cast("CursorResult[Any]", result).rowcount


class Database:
    """One engine and its session factory; `transaction()` is the unit of work services take,
    `reading()` the same for work that only reads (on SQLite it then takes no write lock)."""

    def __init__(self, url: str):
        self.url = sqlalchemy_url(url)
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine: Engine | None
        if make_url(self.url).get_backend_name() == "sqlite":
            self._read_engine = make_engine(url, begin="BEGIN")
            self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        else:
            self._read_engine, self._read_sessions = None, self._sessions

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._unit(self._sessions) as session:
            yield session

    def ping(self) -> None:
        """Raises when the database does not answer. Through the reading engine: on SQLite a health check
        must not queue behind (or block) writers."""
        with (self._read_engine or self.engine).connect() as connection:
            connection.execute(text("SELECT 1"))

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._unit(self._read_sessions) as session:
            yield session

    @staticmethod
    @contextmanager
    def _unit(factory: sessionmaker[Session]) -> Iterator[Session]:
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_engine is not None:
            self._read_engine.dispose()
