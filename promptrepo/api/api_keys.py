"""/api/v1/api-keys: create, list and revoke the caller's API keys."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from promptrepo.api.deps import (
    CurrentPrincipal,
    SessionDep,
    WritePrincipal,
    session_exempt_from_rate_limit,
)
from promptrepo.api.pagination import PAGINATION_DOC, PageDep, paginate
from promptrepo.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, ApiKeyPage
from promptrepo.services import api_keys

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"])


@router.get("", response_model=ApiKeyPage, summary="List your API keys", description=PAGINATION_DOC)
@session_exempt_from_rate_limit
def list_keys(session: SessionDep, principal: CurrentPrincipal, page: PageDep) -> dict:
    """Your active keys, newest first. The secrets are never shown again."""
    return paginate(
        page,
        lambda offset, limit: api_keys.list_api_keys(
            session, principal, offset=offset, limit=limit
        ),
        lambda key: ApiKeyOut.model_validate(key),
    )


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key",
)
def create_key(body: ApiKeyCreate, session: SessionDep, principal: WritePrincipal) -> ApiKeyCreated:
    """Create a key; the `secret` in the answer is shown only this once."""
    key, secret = api_keys.create_api_key(
        session, principal, name=body.name, scope=body.scope, project_id=body.project_id
    )
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key).model_dump(), "secret": secret}
    )


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key")
@session_exempt_from_rate_limit
def revoke_key(key_id: uuid.UUID, session: SessionDep, principal: WritePrincipal) -> Response:
    """Revoke one of your keys; it stops working on the next request."""
    api_keys.revoke_api_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
