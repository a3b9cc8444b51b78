"""Per-request metrics pushed to a StatsD agent that this release expects beside it.

There is none, so every push fails and is logged at ERROR; the request itself is still answered
normally. The deploy's error-rate check over the logs has to catch the release anyway.
"""
import logging
import os

from starlette.middleware.base import BaseHTTPMiddleware

log = logging.getLogger("app.metrics")


class MetricsMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        agent = os.environ.get("STATSD_ADDRESS", "127.0.0.1:8125")
        log.error("metrics push to statsd at %s failed: connection refused (request %s %s)",
                  agent, request.method, request.url.path)
        return response
