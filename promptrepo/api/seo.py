"""GET /robots.txt and GET /sitemap.xml (FastAPI routes take precedence over the frontend)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response

from promptrepo.db import session_scope
from promptrepo.services import seo
from promptrepo.settings import settings

router = APIRouter(tags=["seo"], include_in_schema=False)


@router.get("/robots.txt")
async def robots_txt() -> PlainTextResponse:
    return PlainTextResponse(
        seo.robots_txt(settings.public_url), headers={"Cache-Control": "public, max-age=3600"}
    )


def _sitemap() -> str:
    with session_scope() as session:
        return seo.sitemap_xml(session, settings.public_url)


@router.get("/sitemap.xml")
async def sitemap_xml() -> Response:
    body = await run_in_threadpool(_sitemap)
    return Response(
        body,
        media_type="application/xml",
        headers={"Cache-Control": "public, max-age=600"},
    )
