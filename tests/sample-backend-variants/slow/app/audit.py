"""Audit trail of every request, sent synchronously to an audit service before answering.

The round trip is simulated with a sleep of AUDIT_LATENCY_MS (700 by default): every response of
this release is that much slower, which the deploy's latency gate has to notice.
"""
import asyncio
import os

from starlette.middleware.base import BaseHTTPMiddleware


class AuditTrailMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        await asyncio.sleep(int(os.environ.get("AUDIT_LATENCY_MS", "700")) / 1000)
        return response
