"""The HTTP side of PromptRepo: a FastAPI app mounted into Reflex via `api_transformer`."""

from __future__ import annotations

from fastapi import FastAPI

from promptrepo.api import billing, health
from promptrepo.api.errors import install_error_handlers
from promptrepo.observability import MetricsMiddleware, configure_logging


def create_api() -> FastAPI:
    configure_logging()
    api = FastAPI(
        title="PromptRepo API",
        version="1.0.0",
        description="Write, version and serve prompts. See /api/docs.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    install_error_handlers(api)
    api.include_router(health.router)
    api.include_router(billing.router)
    api.add_middleware(MetricsMiddleware)
    return api
