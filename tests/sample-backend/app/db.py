"""Engine and sessions. Nothing here connects until a request needs the database."""
from __future__ import annotations

import threading
from typing import Iterator, Optional

from fastapi import Request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.settings import redact_url


class DatabaseNotConfigured(RuntimeError):
    pass


def short_error(exc: Exception) -> str:
    """One line about a database failure, fit for a log line or a response body."""
    # The driver's own message names host and port, never the password; the redaction is for
    # drivers that echo the URL. Only the first line: SQLAlchemy appends a help link and the SQL.
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [type(original).__name__])[0]
    return redact_url(first_line)[:200]


class Database:
    def __init__(self, url: Optional[str], connect_timeout_s: int = 3, statement_timeout_ms: int = 2000):
        self._url = url
        self._connect_timeout_s = connect_timeout_s
        self.statement_timeout_ms = statement_timeout_ms
        self._engine: Optional[Engine] = None
        self._sessionmaker: Optional[sessionmaker] = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._url)

    @property
    def is_postgres(self) -> bool:
        return bool(self._url) and self._url.startswith("postgresql")

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        if not self._url:
            raise DatabaseNotConfigured("DATABASE_URL is not set")
        kwargs = {"future": True, "pool_pre_ping": True}
        if self.is_postgres:
            # A dead database must turn into a quick 503, not a request that hangs for minutes.
            kwargs["connect_args"] = {"connect_timeout": self._connect_timeout_s,
                                      "application_name": "nutriprofile-api"}
            kwargs.update(pool_size=5, max_overflow=5, pool_timeout=self._connect_timeout_s)
        elif self._url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
        return create_engine(self._url, **kwargs)

    def session(self) -> Session:
        if self._sessionmaker is None:
            self._sessionmaker = sessionmaker(bind=self.engine, future=True, expire_on_commit=False)
        return self._sessionmaker()

    def current_revisions(self) -> list:
        """Alembic revision(s) stamped in the database; empty when it was never migrated."""
        with self.engine.connect() as conn:
            if self.is_postgres:
                # LOCAL: the setting dies with this transaction instead of sticking to a pooled connection.
                conn.execute(text(f"SET LOCAL statement_timeout = {int(self.statement_timeout_ms)}"))
                exists = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is not None
            else:
                exists = conn.execute(text(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                )).first() is not None
            if not exists:
                return []
            return sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_session(request: Request) -> Iterator[Session]:
    session = get_database(request).session()
    try:
        yield session
    finally:
        session.close()
