"""The Langfuse-compatible prompt API under /api/public: the unchanged `langfuse` SDK works
against PromptRepo with LANGFUSE_BASE_URL set to our URL and a project API key
(LANGFUSE_PUBLIC_KEY = its `pk-…`, LANGFUSE_SECRET_KEY = its secret, sent as HTTP Basic).

Errors are Langfuse's `{"message", "error"}` (400 for invalid input, including a refused
`production` with the reasons in `errors`; 401, 403, 404), not our problem+json — except 409
when the project's `production` needs review (problem+json with `message` and `error` too). Reading a
prompt goes through the one serving path (services/serving.py; the hottest GET is answered
by api/serving.ServingFastPath before routing); the rest calls services/langfuse.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from promptrepo.api import gate
from promptrepo.api import serving as api_serving
from promptrepo.api.errors import problem
from promptrepo.db import session_scope
from promptrepo.observability import get_logger
from promptrepo.services import langfuse, serving, splits
from promptrepo.services.errors import (
    NotAuthenticated,
    RateLimited,
    ReviewRequired,
    ServiceError,
)
from promptrepo.services.principal import Principal, require_write

log = get_logger(__name__)

_ERROR_NAMES = {
    400: "InvalidRequestError",
    401: "UnauthorizedError",
    403: "AccessDeniedError",
    404: "LangfuseNotFoundError",
    409: "ConflictError",
    413: "InvalidRequestError",
    429: "RateLimitError",
}


def langfuse_error(
    status: int, message: str, *, errors: list | None = None, headers: dict | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"message": message, "error": _ERROR_NAMES.get(status, "Error")}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


def _from_service_error(exc: ServiceError) -> JSONResponse:
    if isinstance(exc, ReviewRequired):
        # problem+json like the rest of our API, carrying Langfuse's `message` and `error`
        # too, so the SDK still shows why (a `newLabels` with production needs a proposal)
        return problem(
            409,
            exc.title,
            exc.message,
            extra={
                "message": exc.message,
                "error": _ERROR_NAMES[409],
                "review_required": True,
                "how_to_propose": exc.how,
            },
        )
    status = 400 if exc.status_code == 422 else exc.status_code
    headers = None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, NotAuthenticated):
        headers = {"WWW-Authenticate": 'Basic realm="PromptRepo"'}
    return langfuse_error(status, exc.message, errors=exc.errors, headers=headers)


class LangfuseRoute(APIRoute):
    """Answers errors in Langfuse's shape (the SDK parses `message`)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except ServiceError as exc:
                return _from_service_error(exc)
            except RequestValidationError as exc:
                errors = [
                    {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")}
                    for e in exc.errors()
                ]
                where = ".".join(errors[0]["loc"][1:]) if errors else ""
                return langfuse_error(
                    400,
                    f"Invalid request: {where} {errors[0]['msg'] if errors else ''}".strip(),
                    errors=errors,
                )

        return route_handler


router = APIRouter(prefix="/api/public", tags=["langfuse-compatible"], route_class=LangfuseRoute)


async def _credentials(request: Request) -> tuple[str, str]:
    credentials = api_serving.basic_credentials(request.headers.get("authorization"))
    if credentials is None:
        raise NotAuthenticated(
            "Authenticate with HTTP Basic: your project API key's public key (pk-…) as the "
            "user name and its secret as the password."
        )
    return credentials


async def langfuse_principal(request: Request) -> Principal:
    """The caller of a Langfuse route (HTTP Basic public_key:secret), rate-limited."""
    public_key, secret = await _credentials(request)
    admission = request.scope.get("state", {}).pop(api_serving.ADMISSION_STATE, None)
    try:
        if isinstance(admission, Exception):
            raise admission
        if admission is None:
            admission = await gate.admit(secret)
    except gate.ApiRateLimited as exc:
        request.state.ratelimit = exc.status
        raise
    request.state.ratelimit = admission.limit
    if admission.principal.api_key_public_key != public_key:
        raise NotAuthenticated("The public key does not belong to this secret key.")
    return admission.principal


LangfusePrincipal = Annotated[Principal, Depends(langfuse_principal)]


def _writer(principal: Principal) -> Principal:
    return require_write(principal)


# --------------------------------------------------------------------------- projects
@router.get("/projects", summary="The key's project (the SDK's auth_check)")
def projects(principal: LangfusePrincipal) -> dict:
    with session_scope(acting_as=principal.user_id) as session:
        project = langfuse.key_project(session, principal)
        return {
            "data": [
                {
                    "id": str(project.id),
                    "name": project.name,
                    "organization": {"id": str(principal.user_id), "name": principal.name},
                    "metadata": {},
                }
            ]
        }


# --------------------------------------------------------------------------- prompts
class CreatePrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=201)
    prompt: str | list[Any]
    type: Literal["text", "chat"] | None = "text"
    config: Any = None
    labels: list[str] | None = None
    tags: list[str] | None = None
    commit_message: str | None = Field(None, alias="commitMessage", max_length=500)


class UpdateLabels(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    new_labels: list[str] = Field(alias="newLabels")


@router.get("/v2/prompts", summary="List prompts (paged)")
def list_prompts(
    principal: LangfusePrincipal,
    name: str | None = None,
    label: str | None = None,
    tag: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=langfuse.MAX_PAGE_SIZE)] = 50,
) -> dict:
    with session_scope(acting_as=principal.user_id) as session:
        items, total = langfuse.list_prompts(
            session, principal, name=name, label=label, tag=tag, page=page, limit=limit
        )
    return {
        "data": [item.to_dict() for item in items],
        "meta": {
            "page": page,
            "limit": limit,
            "totalItems": total,
            "totalPages": langfuse.total_pages(total, limit),
        },
    }


@router.post("/v2/prompts", summary="Create a prompt version")
def create_prompt(body: CreatePrompt, principal: LangfusePrincipal) -> dict:
    """A new version of `name` (created on first use): a text template, or with `type: chat`
    a list of messages (`{role, content}` and `{type: "placeholder", name}`), with `config`
    (model settings and free-form keys), `labels` (production is gated by the version's
    validators: refused with 400 and the reasons, and nothing is saved) and `tags` (the
    prompt's, as in Langfuse: a list replaces them, null keeps them)."""
    principal = _writer(principal)
    with session_scope(acting_as=principal.user_id) as session:
        prompt_id, number = langfuse.create_version(
            session,
            principal,
            name=body.name,
            prompt=body.prompt,
            type=body.type,
            config=body.config,
            labels=body.labels,
            tags=body.tags,
            commit_message=body.commit_message,
        )
        return langfuse.langfuse_prompt(session, principal, prompt_id, number)


@router.patch("/v2/prompts/{name:path}/versions/{version}", summary="Move labels to a version")
def update_labels(
    name: str,
    version: Annotated[int, Path(ge=1, le=serving.MAX_VERSION)],
    body: UpdateLabels,
    principal: LangfusePrincipal,
) -> dict:
    principal = _writer(principal)
    with session_scope(acting_as=principal.user_id) as session:
        prompt_id = langfuse.set_labels(session, principal, name, version, body.new_labels)
        return langfuse.langfuse_prompt(session, principal, prompt_id, version)


@router.get("/v2/prompts/{name:path}", summary="Get a prompt (by label, version, or production)")
async def get_prompt(
    name: str,
    request: Request,
    version: Annotated[int | None, Query(ge=1, le=serving.MAX_VERSION)] = None,
    label: Annotated[str | None, Query(max_length=36)] = None,
    key: Annotated[str | None, Query(min_length=1, max_length=splits.MAX_KEY_LENGTH)] = None,
) -> Response:
    """`label` (default `production`; `latest` is the newest version) or `version`, not both.
    A label split over several versions answers one, picked by `key` (the same key always
    gets the same version) or at random; `X-Prompt-Version` names it."""
    public_key, secret = await _credentials(request)
    wanted = serving.by_name(public_key, name, label, version)
    _, served = await api_serving.admit_and_serve(
        request, secret, wanted, public_key=public_key, key=key
    )
    return Response(
        served.langfuse_bytes,
        media_type="application/json",
        headers={"X-Prompt-Version": str(served.version)},
    )


@router.delete("/v2/prompts/{name:path}", summary="Delete a prompt, or one of its versions")
def delete_prompt(
    name: str,
    principal: LangfusePrincipal,
    label: Annotated[str | None, Query(max_length=36)] = None,
    version: Annotated[int | None, Query(ge=1, le=serving.MAX_VERSION)] = None,
) -> Response:
    principal = _writer(principal)
    with session_scope(acting_as=principal.user_id) as session:
        langfuse.delete(session, principal, name, label=label, version=version)
    return Response(status_code=204)
