"""Shared state for subcommands: settings read once, the database opened only when a command needs it."""

from __future__ import annotations

from functools import cached_property

import click

from checkout.db.database import Database
from checkout.settings import Settings, load_settings


class AppContext:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or load_settings()

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)


pass_app = click.make_pass_decorator(AppContext, ensure=True)
