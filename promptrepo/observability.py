"""Structured JSON logs (structlog), request ids and Prometheus metrics, configured once.

Request ids: every HTTP request and websocket gets one, taken from the proxy's `X-Request-ID`
(nginx sets it, see deploy/nginx) when it looks like an id, else made here. It is bound into
every log line written while the request runs (threads included), returned as the
`X-Request-ID` response header and put into problem+json bodies as `request_id`, so a user's
error report leads to the proxy's and the app's log lines.

Metrics (GET /api/metrics): per route template (count, latency), database statements (count,
latency, errors, by operation), cache lookups (hit, miss, unavailable), Redis failures, and open
websocket sessions. With several workers, promptrepo.serve sets PROMETHEUS_MULTIPROC_DIR so a
scrape sums every worker's figures.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from promptrepo.settings import settings

HTTP_REQUESTS = Counter(
    "promptrepo_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "promptrepo_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

DB_STATEMENTS = Histogram(
    "promptrepo_db_statement_seconds",
    "Database statements by operation (ORM and session paths; not the pipelined serving read)",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
DB_ERRORS = Counter("promptrepo_db_errors_total", "Database statements that raised", ["error"])
CACHE_LOOKUPS = Counter(
    "promptrepo_cache_lookups_total", "Cache lookups by result", ["result"]
)  # result: hit, miss, unavailable (Redis down)
REDIS_FAILURES = Counter(
    "promptrepo_redis_failures_total", "Redis calls that failed, by caller", ["where"]
)
WEBSOCKET_SESSIONS = Gauge(
    "promptrepo_websocket_sessions",
    "Open websocket connections (browser tabs on Reflex's /_event)",
    multiprocess_mode="livesum",
)
WEBSOCKET_CONNECTS = Counter("promptrepo_websocket_connects_total", "Websocket connections opened")

_configured = False


def configure_logging() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    configure_logging()
    return structlog.get_logger(name)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (not its raw path)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            observe_request(scope, status["code"], start)


def observe_request(scope, status: int, start: float) -> None:
    """Count and time one HTTP request (started at perf_counter() `start`) by its route."""
    template = getattr(scope.get("route"), "path", "unmatched")
    method = scope["method"]
    HTTP_REQUESTS.labels(method, template, str(status)).inc()
    HTTP_LATENCY.labels(method, template).observe(time.perf_counter() - start)


# ----------------------------------------------------------------------------- request ids
REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled (None outside a request)."""
    return _request_id.get()


def request_id_of(scope) -> str:
    """The proxy's X-Request-ID when it is a valid one, else a new id."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


@contextlib.contextmanager
def bound_request_id(request_id: str) -> Iterator[None]:
    """The request being handled is `request_id`: for current_request_id() and the logs."""
    token = _request_id.set(request_id)
    bound = structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**bound)
        _request_id.reset(token)


class RequestIdMiddleware:
    """Gives every HTTP request and websocket an id (the proxy's X-Request-ID if valid), binds
    it into the logs, and returns it in the X-Request-ID response header."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        with bound_request_id(request_id):
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send)
                return

            async def send_with_id(message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((REQUEST_ID_HEADER, request_id.encode()))
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_with_id)

    async def _websocket(self, scope, receive, send) -> None:
        WEBSOCKET_CONNECTS.inc()
        WEBSOCKET_SESSIONS.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            WEBSOCKET_SESSIONS.dec()


# ----------------------------------------------------------------------------- database
_OPERATIONS = ("select", "insert", "update", "delete", "begin", "commit", "rollback", "set")
_db_metrics_installed = False


def install_db_metrics() -> None:
    """Time every statement of every SQLAlchemy engine (once per process)."""
    global _db_metrics_installed
    if _db_metrics_installed:
        return
    _db_metrics_installed = True
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info.setdefault("promptrepo_started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany) -> None:
        started = conn.info.get("promptrepo_started")
        if started:
            DB_STATEMENTS.labels(_operation(statement)).observe(time.perf_counter() - started.pop())

    @event.listens_for(Engine, "handle_error")
    def _error(context) -> None:
        started = context.connection.info.get("promptrepo_started") if context.connection else None
        if started:
            started.pop()
        DB_ERRORS.labels(type(context.original_exception).__name__).inc()


def _operation(statement: str) -> str:
    word = statement.lstrip().split(None, 1)[0].lower() if statement.strip() else ""
    return word if word in _OPERATIONS else "other"


# ----------------------------------------------------------------------------- scraping
def metrics_registry() -> CollectorRegistry:
    """The registry to expose: every worker's figures in multiprocess mode, else ours."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    from prometheus_client import multiprocess

    _forget_dead_workers(Path(directory))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _forget_dead_workers(directory: Path) -> None:
    """A worker killed and replaced leaves its live gauges behind: drop them."""
    from prometheus_client import multiprocess

    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(directory))
        except PermissionError:
            pass
