"""Liveness of the database and Redis, for /api/health.

"ok": everything answers. "degraded": Redis is configured but unreachable; the app still
serves (database reads instead of the cache, limits in process, live updates paused), so
this is not a failure for a load balancer. "error": the database is unreachable.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from promptrepo import db
from promptrepo.services import redis_client
from promptrepo.services.redis_client import get_redis


def check_health() -> dict[str, Any]:
    """Return `{"status", "database", "redis"}`: status "ok", "degraded" (Redis down) or
    "error" (database down)."""
    result: dict[str, Any] = {"status": "ok"}
    try:
        with db.get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        result["database"] = {"status": "ok", "backend": db.get_engine().dialect.name}
    except Exception as exc:  # the point is to report any failure
        result["status"] = "error"
        result["database"] = {"status": "error", "detail": type(exc).__name__}
    client = get_redis()
    if client is None:
        result["redis"] = {"status": "disabled"}
    else:
        try:
            client.ping()
            result["redis"] = {"status": "ok"}
            redis_client.report_success()
        except Exception as exc:
            result["redis"] = {"status": "error", "detail": type(exc).__name__}
            if result["status"] == "ok":
                result["status"] = "degraded"
    return result
