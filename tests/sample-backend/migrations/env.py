"""Alembic environment: DATABASE_URL from the environment, one transaction per revision."""
from __future__ import annotations

import os
import re
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from app.models import Base
from app.settings import normalize_database_url

config = context.config
if config.config_file_name is not None:
    # Keep loggers configured before us (the app's, when alembic runs in-process from tests).
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

# One transaction per revision, not one for the whole upgrade: when revision N+1 fails,
# N stays applied and stamped, which is what production databases really do and what the
# deploy build has to cope with.
COMMON = dict(target_metadata=target_metadata, transaction_per_migration=True, compare_type=True)


# A migration waiting on a lock queues every query behind it: give up early instead, and put a
# ceiling on backfills. Session-level SETs so they span every per-revision transaction.
LOCK_TIMEOUT = os.environ.get("MIGRATION_LOCK_TIMEOUT", "10s")
STATEMENT_TIMEOUT = os.environ.get("MIGRATION_STATEMENT_TIMEOUT", "15min")


def timeout_statements() -> list:
    for name, value in (("MIGRATION_LOCK_TIMEOUT", LOCK_TIMEOUT), ("MIGRATION_STATEMENT_TIMEOUT", STATEMENT_TIMEOUT)):
        if not re.fullmatch(r"\d+\s*(ms|s|min|h)?", value):
            raise SystemExit(f"{name}={value!r} is not a PostgreSQL duration such as 10s or 15min")
    return [f"SET lock_timeout = '{LOCK_TIMEOUT}'", f"SET statement_timeout = '{STATEMENT_TIMEOUT}'"]


def database_url(required: bool) -> str:
    raw = os.environ.get("DATABASE_URL", "").strip()
    if raw:
        return normalize_database_url(raw)
    if required:
        raise SystemExit("DATABASE_URL is not set: export it to run migrations against a database "
                         "(offline --sql mode does not need it)")
    # Offline mode only needs a dialect to render SQL for.
    return "postgresql+psycopg2://"


def run_migrations_offline() -> None:
    context.configure(url=database_url(required=False), literal_binds=True,
                      dialect_opts={"paramstyle": "named"}, **COMMON)
    for statement in timeout_statements():
        context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = database_url(required=True)
    connect_args = {"connect_timeout": 10, "application_name": "alembic"} if url.startswith("postgresql") else {}
    engine = create_engine(url, poolclass=pool.NullPool, future=True, connect_args=connect_args)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            for statement in timeout_statements():
                connection.exec_driver_sql(statement)
            # Committed before configure(): alembic treats an open transaction as the caller's
            # and would then run every revision inside it, undoing transaction_per_migration.
            connection.commit()
        context.configure(connection=connection, **COMMON)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
