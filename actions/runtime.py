"""The action server's settings and database, created on first use (never at import)."""

from __future__ import annotations

from functools import lru_cache

from checkout.db.database import Database
from checkout.settings import Settings, load_settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


@lru_cache(maxsize=1)
def database() -> Database:
    return Database(settings().database_url)
