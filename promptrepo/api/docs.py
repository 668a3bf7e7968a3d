"""/api/docs: the API's Swagger UI, served from this server, so it works offline.

FastAPI's own page loads Swagger UI from a CDN (a blank page without the internet, and a
content security policy that trusts a third party). The same page here takes its script,
stylesheet and icon from the copy of Swagger UI 5 that the `fastapi-offline` package ships,
mounted at DOCS_ASSETS.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from promptrepo import routes

DOCS_ASSETS = f"{routes.API_DOCS}/assets"
_SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"


def install_docs(api: FastAPI) -> None:
    """Serve the docs page and its assets (create the FastAPI app with docs_url=None)."""
    api.mount(DOCS_ASSETS, StaticFiles(directory=_SWAGGER_UI), name="docs-assets")

    @api.get(routes.API_DOCS, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=api.openapi_url or "/api/openapi.json",
            title=f"{api.title} — docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url="/favicon.svg",
        )
