"""The HTTP side of PromptRepo: a FastAPI app mounted into Reflex via `api_transformer`."""

from __future__ import annotations

import contextlib
import sys

from fastapi import FastAPI

from promptrepo.api import (
    activity,
    api_keys,
    auth,
    billing,
    browser_session,
    comments,
    editor_live,
    health,
    langfuse,
    me,
    members,
    projects,
    prompts,
    public,
    reviews,
    segments,
    seo,
    test_cases,
    validators,
    versions,
    webhooks,
)
from promptrepo.api.docs import install_docs
from promptrepo.api.errors import install_error_handlers
from promptrepo.api.mcp import McpEndpoint
from promptrepo.api.middleware import ApiGuardMiddleware
from promptrepo.api.pagination import PAGINATION_DOC
from promptrepo.api.serving import ServingFastPath
from promptrepo.observability import (
    MetricsMiddleware,
    RequestIdMiddleware,
    configure_logging,
    install_db_metrics,
)
from promptrepo.settings import settings

API_DESCRIPTION = f"""
Write, version and serve prompts. Programs fetch published prompts with
`GET /api/v1/prompts/{{prompt_id}}/resolve` (cached, with ETags).

**Authentication**: `Authorization: Bearer <token>`, where the token is an API key (`pr_…`,
created at `POST /api/v1/api-keys`; `read` keys may only read) or an access token from
`POST /api/v1/auth/token`. Missing or bad credentials answer 401.

**Pagination**: {PAGINATION_DOC}

**Errors** are RFC 9457 `application/problem+json` documents (`type`, `title`, `status`,
`detail`; 422s add `errors`, each with a field path `loc` and a message `msg`). Another
user's private resource answers 404. Bodies over {settings.api_max_body_bytes} bytes answer 413.

**Rate limits** per account and plan (free 60, pro 600, enterprise 6,000 requests per minute,
moving window). Every authenticated answer carries `RateLimit-Limit`, `RateLimit-Remaining`
and `RateLimit-Reset` (seconds); over the limit you get 429 with `Retry-After`.
"""


# How long a thread may hold the GIL before another waiting thread gets it (Python's default
# is 5 ms). The event loop serves every request while sync routes and cache-miss loads run in
# the thread pool; each time such a thread takes the GIL the loop can wait out a whole interval,
# and a load with ten round trips then stalls every request in the worker by ~100 ms
# (measured with benchmarks/bench_api.py: cached p99 9 -> 22 ms while API keys reloaded).
GIL_SWITCH_INTERVAL_SECONDS = 0.001


@contextlib.asynccontextmanager
async def _lifespan(_api: FastAPI):
    """On shutdown, close this event loop's serving connection (api/serving_db.py)."""
    yield
    from promptrepo.services import serving_db

    await serving_db.close_for_this_loop()


def create_api() -> FastAPI:
    configure_logging()
    install_db_metrics()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    api = FastAPI(
        title="PromptRepo API",
        version="1.0.0",
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,  # served from this server by api/docs.py
        redoc_url=None,
        lifespan=_lifespan,
    )
    install_error_handlers(api)
    install_docs(api)
    api.include_router(health.router)
    api.include_router(seo.router)
    api.include_router(versions.serving_router)
    api.include_router(billing.router)
    api.include_router(editor_live.router)
    for module in (
        activity,
        auth,
        browser_session,
        me,
        api_keys,
        projects,
        segments,
        prompts,
        validators,
        test_cases,
        public,
        webhooks,
        members,
        comments,
        reviews,
    ):
        api.include_router(module.router)
    api.include_router(versions.router)
    api.include_router(langfuse.router)
    if settings.api_bench_body_file:
        from promptrepo.api import bench

        api.include_router(bench.router)
    api.add_middleware(McpEndpoint)
    api.add_middleware(ServingFastPath)
    api.add_middleware(ApiGuardMiddleware, max_body_bytes=settings.api_max_body_bytes)
    api.add_middleware(MetricsMiddleware)
    api.add_middleware(RequestIdMiddleware)  # outermost: every answer and log line has the id
    return api
