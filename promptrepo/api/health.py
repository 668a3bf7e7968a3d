"""GET /api/health (liveness), GET /api/ready (readiness) and GET /api/metrics."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from promptrepo.settings import settings

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health() -> JSONResponse:
    """The database's and Redis's state: 200 "ok" or "degraded" (Redis down, still serving),
    503 "error" when the database is unreachable."""
    from promptrepo.services.health import check_health

    result = await run_in_threadpool(check_health)
    return JSONResponse(result, status_code=503 if result["status"] == "error" else 200)


@router.get("/api/ready")
async def ready() -> JSONResponse:
    """Whether to send this server traffic: database reachable and at the newest migration,
    Redis reachable when configured. 200 when ready, 503 with the failing checks otherwise."""
    from promptrepo.services.health import check_ready

    result = await run_in_threadpool(check_ready)
    return JSONResponse(result, status_code=200 if result["ready"] else 503)


@router.get("/api/metrics", include_in_schema=False)
async def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus metrics, for a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`.

    Without METRICS_TOKEN configured the route does not exist (404): route names and request
    counts are not for the public. Of every worker of this server when
    PROMETHEUS_MULTIPROC_DIR is set (promptrepo.serve sets it), else of the worker that answers.
    """
    expected = settings.metrics_token
    if not expected:
        return Response(status_code=404)
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    from promptrepo.observability import metrics_registry

    return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)
