"""Versions, labels, diffs, and serving: resolve and render a prompt for a program."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status

from promptrepo.api import serving as api_serving
from promptrepo.api.deps import BearerCredentials, CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.pagination import PAGINATION_DOC, Page, PageDep, encode_cursor
from promptrepo.api.schemas import (
    MAX_VERSION,
    DiffOut,
    LabelEventOut,
    LabelOut,
    LabelSet,
    Problem,
    RenderIn,
    RenderOut,
    ResolvedOut,
    ServedOut,
    SplitOut,
    SplitSet,
    VersionCreate,
    VersionCreated,
    VersionDetailOut,
    VersionInfoOut,
)
from promptrepo.services import releases, served_counts, serving, splits, versions
from promptrepo.services.errors import NotAuthenticated
from promptrepo.services.serving import Served

router = APIRouter(prefix="/api/v1/prompts", tags=["versions"])
serving_router = APIRouter(prefix="/api/v1/prompts", tags=["serving"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (401, 404, 422, 429)
}


# --------------------------------------------------------------------------- versions
@router.get(
    "/{prompt_id}/versions",
    response_model=Page[VersionInfoOut],
    summary="List a prompt's versions",
    description=PAGINATION_DOC,
)
def list_versions(
    prompt_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> dict:
    """The prompt's versions, newest first, with their labels and authors."""
    result = versions.list_versions(
        session, principal, prompt_id, offset=page.offset, limit=page.limit
    )
    has_more = page.offset + page.limit < result.total
    return {
        "items": [item.to_dict() for item in result.items],
        "next_cursor": encode_cursor(page.offset + page.limit) if has_more else None,
        "total": result.total,
    }


@router.post(
    "/{prompt_id}/versions",
    response_model=VersionCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Save the draft as a new version",
)
def create_version(
    prompt_id: uuid.UUID, body: VersionCreate, session: SessionDep, principal: WritePrincipal
) -> dict:
    """Snapshot the draft (content, variables, validators) as version N+1."""
    version = versions.create_version(
        session,
        principal,
        prompt_id,
        commit_message=body.commit_message,
        base_revision=body.base_revision,
    )
    detail = versions.get_version(session, principal, prompt_id, version.version)
    return {"version": _detail(detail)}


@router.get(
    "/{prompt_id}/versions/{number}", response_model=VersionDetailOut, summary="Read a version"
)
def get_version(
    prompt_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> dict:
    """One version with its content, variables and validators."""
    return _detail(versions.get_version(session, principal, prompt_id, number))


def _detail(detail) -> dict:
    data = detail.to_dict()
    data.update(content=detail.content, variables=detail.variables, validators=detail.validators)
    return data


@router.put(
    "/{prompt_id}/labels/{label}",
    response_model=LabelOut,
    summary="Point a label at a version (production = publish)",
)
def set_label(
    prompt_id: uuid.UUID, label: str, body: LabelSet, session: SessionDep, principal: WritePrincipal
) -> dict:
    """Move `label` to `version`. Moving `production` publishes: refused with 422 listing each
    failing validator when the version does not pass them. Required variables with no example
    or default are checked with typed placeholders, listed in `placeholders`. The move and its
    `reason` go into the label's history. API clients see the change at once."""
    return versions.set_label(
        session, principal, prompt_id, label, body.version, reason=body.reason
    ).to_dict()


@router.get(
    "/{prompt_id}/labels/{label}/history",
    response_model=list[LabelEventOut],
    summary="A label's moves, newest first",
)
def label_history(
    prompt_id: uuid.UUID,
    label: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list:
    """Who moved the label from which version to which, when and why."""
    events = releases.label_history(session, principal, prompt_id, label, limit=limit)
    return [event.to_dict() for event in events]


@router.get("/{prompt_id}/labels", response_model=list[LabelOut], summary="List a prompt's labels")
def list_labels(prompt_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> list:
    """Every label of the prompt and the version it points at."""
    return [label.to_dict() for label in versions.list_labels(session, principal, prompt_id)]


@router.delete(
    "/{prompt_id}/labels/{label}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a label (removing production unpublishes)",
)
def remove_label(
    prompt_id: uuid.UUID, label: str, session: SessionDep, principal: WritePrincipal
) -> Response:
    versions.remove_label(session, principal, prompt_id, label)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{prompt_id}/labels/{label}/split",
    response_model=SplitOut,
    summary="Split a label's traffic over several versions",
)
def set_split(
    prompt_id: uuid.UUID, label: str, body: SplitSet, session: SessionDep, principal: WritePrincipal
) -> dict:
    """Serve `label` from 2–4 versions by weight (whole percentages summing to 100), e.g.
    production = v3 90 %, v4 10 %. Splitting `production` needs every version to pass its
    release checks, as publishing (422 listing the failures). Programs pick with `key` on
    `resolve`/`render`; the label points at the heaviest version for everything else. End the
    split by pointing the label at one version (`PUT …/labels/{label}`)."""
    arms = splits.set_split(
        session,
        principal,
        prompt_id,
        label,
        [(arm.version, arm.weight) for arm in body.arms],
        reason=body.reason,
    )
    return {"label": label, "arms": [{"version": a.version, "weight": a.weight} for a in arms]}


@router.get(
    "/{prompt_id}/labels/{label}/split",
    response_model=SplitOut,
    summary="A label's traffic split (empty: one version)",
)
def get_split(
    prompt_id: uuid.UUID, label: str, session: SessionDep, principal: CurrentPrincipal
) -> dict:
    arms = splits.splits_of_prompt(session, principal, prompt_id).get(label, [])
    return {"label": label, "arms": [{"version": a.version, "weight": a.weight} for a in arms]}


@router.get(
    "/{prompt_id}/served",
    response_model=ServedOut,
    summary="Requests served per version over the last hours",
)
def served(
    prompt_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    hours: Annotated[int, Query(ge=1, le=served_counts.KEEP_HOURS)] = 6,
    bucket_minutes: Annotated[int, Query(ge=1, le=60)] = 60,
) -> dict:
    """How many `resolve`/`render`/Langfuse/MCP requests each version answered, per bucket
    (oldest first; the newest is the current, partial one). Counts reach this view within a
    few seconds."""
    history = served_counts.served_history(
        session, principal, prompt_id, hours=hours, bucket_minutes=bucket_minutes
    )
    return {
        "bucket_minutes": history.bucket_minutes,
        "buckets": [
            {"start": b.start, "counts": {str(v): n for v, n in sorted(b.counts.items())}}
            for b in history.buckets
        ],
        "totals": {str(v): n for v, n in history.totals.items()},
    }


@router.get("/{prompt_id}/diff", response_model=DiffOut, summary="Compare two versions")
def diff(
    prompt_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION)],
    to: Annotated[int, Query(ge=1, le=MAX_VERSION)],
) -> dict:
    """What changed from version `from` to version `to`: content hunks, variables, validators."""
    return versions.diff_versions(session, principal, prompt_id, from_, to).to_dict()


# --------------------------------------------------------------------------- serving
async def _serve(
    request: Request,
    credentials,
    prompt_id: uuid.UUID,
    label: str | None,
    version: int | None,
    key: str | None,
) -> Served:
    """Authenticate, rate-limit and serve (one Redis round trip on a cache hit)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("Authentication required: send 'Authorization: Bearer <token>'.")
    wanted = serving.by_id(prompt_id, label, version)
    _, served = await api_serving.admit_and_serve(request, credentials.credentials, wanted, key=key)
    return served


KEY_QUERY = Query(
    min_length=1,
    max_length=splits.MAX_KEY_LENGTH,
    description="A label split over several versions: the same key (e.g. a user id) always "
    "gets the same version; without one a version is picked at random by weight.",
)


@serving_router.get(
    "/{prompt_id}/resolve",
    response_model=ResolvedOut,
    summary="Fetch the prompt a program should use",
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)."}, **PROBLEMS},
)
async def resolve(
    prompt_id: uuid.UUID,
    request: Request,
    credentials: BearerCredentials,
    label: Annotated[
        str | None, Query(max_length=36, description="Default `production` (the published one).")
    ] = None,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    key: Annotated[str | None, KEY_QUERY] = None,
) -> Response:
    """The content and variables under `label` (default `production`) or of `version`, with an
    `ETag`; send it back in `If-None-Match` to get 304 while nothing changed. An unknown label
    or version is 404 (never a silent fallback). Cached: a publish shows on the next request.
    A split label answers one of its versions (picked by `key`, or at random) with
    `"split": true`; `X-Prompt-Version` names the version on every answer."""
    served = await _serve(request, credentials, prompt_id, label, version, key)
    headers = {
        "ETag": served.etag,
        "Cache-Control": "private, no-cache",
        "X-Prompt-Version": str(served.version),
    }
    if serving.etag_matches(request.headers.get("if-none-match"), served.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(served.body_bytes, media_type="application/json", headers=headers)


@serving_router.post(
    "/{prompt_id}/render",
    response_model=RenderOut,
    response_model_exclude_unset=True,  # `messages` only for chat prompts
    summary="Render a prompt with variables",
    responses=PROBLEMS,
)
async def render(
    prompt_id: uuid.UUID,
    body: RenderIn,
    request: Request,
    response: Response,
    credentials: BearerCredentials,
) -> dict:
    """Render the version under `label` (default `production`) or `version` with `variables`
    and run its validators on the text. A missing required variable or a value of the wrong
    type is 422 naming it (`errors[].loc` = `["body", "variables", name]`). A chat prompt
    answers `messages` (roles and rendered contents, with `placeholders` filled from the
    request: name → list of `{role, content}`; an unfilled placeholder is empty) and `text`
    (the conversation as `role: content` blocks); both types answer `type` and `config`.
    A split label renders one of its versions (picked by `key`, or at random; `"split": true`);
    `X-Prompt-Version` names the version on every answer."""
    served = await _serve(request, credentials, prompt_id, body.label, body.version, body.key)
    response.headers["X-Prompt-Version"] = str(served.version)
    return (await serving.render(served, body.variables, body.placeholders)).to_dict()
