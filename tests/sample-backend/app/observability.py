"""Logging set-up and the one-line-per-request log that the deploy's error-rate check reads."""
from __future__ import annotations

import logging
import sys
import time

from sqlalchemy.exc import OperationalError
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.db import DatabaseNotConfigured, short_error
from app.settings import redact_url

log = logging.getLogger("app.request")


class _ScrubbingFormatter(logging.Formatter):
    """Formats, then blanks every known secret and URL password, tracebacks included."""

    def __init__(self, fmt: str):
        super().__init__(fmt)
        self.secrets: set = set()

    def format(self, record: logging.LogRecord) -> str:
        text = redact_url(super().format(record))
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


class _StdoutHandler(logging.StreamHandler):
    # Looks sys.stdout up on every write, so output redirected later (pytest's capsys) is honoured.
    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


_formatter = _ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")


def configure_logging(level: str, secrets) -> None:
    _formatter.secrets.update(s for s in secrets if s)
    root = logging.getLogger("app")
    root.setLevel(level)
    if any(isinstance(h, _StdoutHandler) for h in root.handlers):
        return
    # stdout, one line per record, level name as a word: `flyctl logs | grep ERROR` has to work.
    handler = _StdoutHandler()
    handler.setFormatter(_formatter)
    root.addHandler(handler)
    root.propagate = False
    # uvicorn's access log would be a second, differently shaped line for every request.
    logging.getLogger("uvicorn.access").disabled = True


class RequestLogMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except (OperationalError, DatabaseNotConfigured) as exc:
            # An outage, not a bug: one line instead of a traceback per request, and a 503 that
            # tells clients to come back rather than a 500.
            log.error("database unavailable on %s %s: %s", request.method, request.url.path, short_error(exc))
            response = JSONResponse({"detail": "database unavailable"}, status_code=503)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            response = JSONResponse({"detail": "internal server error"}, status_code=500)
        duration_ms = (time.perf_counter() - started) * 1000
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        log.log(level, "method=%s path=%s status=%d duration_ms=%.1f",
                request.method, request.url.path, response.status_code, duration_ms)
        return response
