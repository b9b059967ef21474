"""Alembic environment: our metadata, the URL given by checkout.db.migrate, batch mode for SQLite."""

from alembic import context

from checkout.db.database import make_engine
from checkout.db.models import Base

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:  # alembic_config() sets it; a bare `alembic` command line does not
        raise RuntimeError("no sqlalchemy.url: run migrations through checkout.db.migrate (shop db upgrade)")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, render_as_batch=True, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        # SQLite cannot ALTER most things; batch mode rebuilds tables so one migration fits both engines.
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
