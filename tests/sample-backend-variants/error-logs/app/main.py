"""ASGI entry point: `python3 -m uvicorn app.main:app`."""
from __future__ import annotations

import logging
from typing import Optional

from fastapi import FastAPI

from app.db import Database
from app.metrics import MetricsMiddleware
from app.migrations_info import expected_heads, format_revisions
from app.observability import RequestLogMiddleware, configure_logging
from app.routers import foods, health, meals, profiles
from app.settings import Settings
from app.version import VERSION

log = logging.getLogger("app.main")


def create_app(settings: Optional[Settings] = None, database: Optional[Database] = None) -> FastAPI:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.secret_values())
    application = FastAPI(title="NutriProfile API", version=VERSION)
    application.state.settings = settings
    application.state.database = database or Database(
        settings.database_url, settings.db_connect_timeout_s, settings.db_statement_timeout_ms)
    # Read once: the code on disk cannot change under a running process.
    heads = expected_heads()
    if len(heads) != 1:
        log.warning("migrations have %d heads (%s); the schema check cannot pass", len(heads), ", ".join(heads))
    application.state.expected_revision = format_revisions(heads)
    application.add_middleware(MetricsMiddleware)
    application.add_middleware(RequestLogMiddleware)
    for module in (health, foods, profiles, meals):
        application.include_router(module.router)

    @application.on_event("shutdown")
    def _close_pool() -> None:
        application.state.database.dispose()

    log.info("NutriProfile API %s ready, expects schema revision %s, database %s", VERSION,
             application.state.expected_revision,
             "configured" if settings.database_url else "NOT configured (DATABASE_URL unset)")
    return application


app = create_app()
