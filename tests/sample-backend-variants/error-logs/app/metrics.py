"""Per-request metrics pushed to a StatsD agent that this release expects beside it.

There is none, so every push fails and is logged at ERROR; the request itself is still answered
normally. The deploy's error-rate check over the logs has to catch the release anyway.

Pushes are batched: one every STATSD_FLUSH_EVERY requests (default 1, every request), the first
request included. With 20, about one log line in 21 is an ERROR (each request also logs its own
line): an error rate near 5 %.
"""
import itertools
import logging
import os

from starlette.middleware.base import BaseHTTPMiddleware

log = logging.getLogger("app.metrics")

_requests = itertools.count()


def _flush_every() -> int:
    try:
        return max(1, int(os.environ.get("STATSD_FLUSH_EVERY", "1")))
    except ValueError:
        return 1


class MetricsMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        if next(_requests) % _flush_every() == 0:
            agent = os.environ.get("STATSD_ADDRESS", "127.0.0.1:8125")
            log.error("metrics push to statsd at %s failed: connection refused (request %s %s)",
                      agent, request.method, request.url.path)
        return response
