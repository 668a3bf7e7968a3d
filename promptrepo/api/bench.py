"""A baseline route for benchmarks/bench_api.py, mounted only when API_BENCH_BODY_FILE is set.

It answers the bytes of that file with no authentication, rate limit or cache, so the
benchmark can compare the real routes against the bare cost of the server.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response

from promptrepo.settings import settings

router = APIRouter(prefix="/api/v1/_bench", include_in_schema=False)
_body: bytes | None = None


@router.get("/static")
async def static_body() -> Response:
    global _body
    if _body is None:
        _body = Path(settings.api_bench_body_file or "").read_bytes()
    return Response(_body, media_type="application/json")
