"""Liveness of the database and Redis, for /api/health."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from promptrepo import db
from promptrepo.services.redis_client import get_redis


def check_health() -> dict[str, Any]:
    """Return `{"status", "database", "redis"}`; status is "ok" unless the database is down."""
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
        except Exception as exc:
            result["redis"] = {"status": "error", "detail": type(exc).__name__}
    return result
