"""One error shape for the whole API: RFC 9457 `application/problem+json`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from promptrepo.observability import current_request_id, get_logger
from promptrepo.services.errors import NotAuthenticated, RateLimited, ServiceError

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    type_: str = "about:blank",
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    request_id = current_request_id()
    if request_id:  # the same id as the X-Request-ID header and the log lines
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(p) for p in err.get("loc", ())],
            "msg": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]


def _field_paths(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Services name fields ("name"); the API says where they are (["body", "name"])."""
    out = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", [])]
        if loc and loc[0] not in ("body", "query", "path", "header"):
            loc = ["body", *loc]
        out.append({**error, "loc": loc})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        elif isinstance(exc, NotAuthenticated):
            headers = {"WWW-Authenticate": "Bearer"}
        extra = {}
        current = getattr(exc, "current", None)
        if isinstance(current, dict):  # a draft conflict: hand the client the server's draft
            extra["current"] = current
        how = getattr(exc, "how", None)
        if isinstance(how, dict):  # a label that needs review: how to propose the move
            extra["review_required"] = True
            extra["how_to_propose"] = how
        return problem(
            exc.status_code,
            exc.title,
            exc.message,
            errors=_field_paths(exc.errors),
            headers=headers,
            extra=extra,
        )

    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        # Input the database cannot store (e.g. a NUL character in a query parameter).
        log.info("data_error", error=str(exc.orig)[:200])
        return problem(
            422, "Validation failed", "The request contains a value the database cannot store."
        )

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check what they can; a race that trips a UNIQUE/FK constraint lands here.
        log.info("integrity_error", error=str(exc.orig)[:200])
        return problem(
            409, "Conflict", "The change conflicts with the current data; reload and retry."
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(
                400, "Malformed JSON", "The request body is not valid JSON.", errors=errors
            )
        return problem(422, "Validation failed", "The request has invalid fields.", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code, _title(exc.status_code), str(exc.detail or ""), headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem(500, "Internal server error", "Something went wrong on our side.")


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
