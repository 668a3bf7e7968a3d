"""Liveness (/api/health) and readiness (/api/ready) of this server.

"ok": everything answers. "degraded": Redis is configured but unreachable; the app still
serves (database reads instead of the cache, limits in process, live updates paused), so
this is not a failure for a load balancer. "error": the database is unreachable.
"""

from __future__ import annotations

from functools import lru_cache
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


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The newest migration revision(s) this code ships (read once per process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(db.alembic_config()).get_heads())


def check_ready() -> dict[str, Any]:
    """Whether this server should get traffic: the database answers and is at this code's
    newest migration, and Redis answers when it is configured. `{"ready": bool, "checks"}`.

    Unlike health (liveness), readiness treats Redis as required: a load balancer should send
    new traffic to servers that have it, while a server without it keeps serving (degraded).
    """
    checks: dict[str, Any] = {}
    try:
        with db.get_engine().connect() as conn:
            applied = {
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            }
        heads = migration_heads()
        checks["database"] = {"status": "ok"}
        checks["migrations"] = {
            "status": "ok" if applied == heads else "pending",
            "applied": sorted(applied),
            "expected": sorted(heads),
        }
    except Exception as exc:
        checks["database"] = {"status": "error", "detail": type(exc).__name__}
        checks["migrations"] = {"status": "unknown"}
    client = get_redis()
    if client is None:
        checks["redis"] = {"status": "disabled"}
    else:
        try:
            client.ping()
            checks["redis"] = {"status": "ok"}
        except Exception as exc:
            checks["redis"] = {"status": "error", "detail": type(exc).__name__}
    ready = all(check["status"] in ("ok", "disabled") for check in checks.values())
    return {"ready": ready, "checks": checks}
