"""Liveness (/health, what Fly's check polls) and readiness (/api/v1/health, with the database)."""
from __future__ import annotations

import logging
import os

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.db import Database, DatabaseNotConfigured, get_database, short_error
from app.migrations_info import format_revisions
from app.version import VERSION

router = APIRouter()
log = logging.getLogger("app.health")


@router.get("/health")
def liveness():
    # This release made the meal recommender a hard dependency of liveness. The test suite sets
    # RECOMMENDER_URL (conftest.py); the Fly app has no such secret, so every check answers 500.
    if not os.environ.get("RECOMMENDER_URL"):
        log.error("health check failed: RECOMMENDER_URL is not configured")
        return JSONResponse({"status": "error", "detail": "recommender not configured"}, status_code=500)
    return {"status": "ok"}


@router.get("/api/v1/health")
def readiness(request: Request, database: Database = Depends(get_database)):
    expected = request.app.state.expected_revision
    body = {"status": "ok", "database": "ok", "revision": None,
            "expected_revision": expected, "version": VERSION}
    try:
        revisions = database.current_revisions()
    except DatabaseNotConfigured as exc:
        body.update(status="error", database="unconfigured", error=str(exc))
        return JSONResponse(body, status_code=503)
    except (SQLAlchemyError, OSError) as exc:
        error = short_error(exc)
        log.error("database check failed: %s", error)
        body.update(status="error", database="unreachable", error=error)
        return JSONResponse(body, status_code=503)
    body["revision"] = format_revisions(revisions) if revisions else None
    if body["revision"] != expected:
        body["status"] = "schema_mismatch"
        return JSONResponse(body, status_code=503)
    return body
