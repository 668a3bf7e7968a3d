"""Validators: /api/v1/prompts/{prompt_id}/validators and /api/v1/validators/{validator_id}."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.pagination import PAGINATION_DOC, Page, PageDep, paginate_list
from promptrepo.api.schemas import ValidatorCreate, ValidatorOut
from promptrepo.services import validators

router = APIRouter(prefix="/api/v1", tags=["validators"])


@router.get(
    "/prompts/{prompt_id}/validators",
    response_model=Page[ValidatorOut],
    summary="List a prompt's validators",
    description=PAGINATION_DOC,
)
def list_validators(
    prompt_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> dict:
    """The draft's validators in order (each version keeps its own snapshot)."""
    rows = validators.list_validators(session, principal, prompt_id)
    return paginate_list(page, rows, ValidatorOut.model_validate)


@router.post(
    "/prompts/{prompt_id}/validators",
    response_model=ValidatorOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a validator",
)
def add_validator(
    prompt_id: uuid.UUID, body: ValidatorCreate, session: SessionDep, principal: WritePrincipal
):
    """Add a `regex`, `length`, `contains` or `custom` validator; a bad config is 422."""
    return validators.add_validator(
        session, principal, prompt_id, type=body.type, config=body.config
    )


@router.delete(
    "/validators/{validator_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a validator",
)
def delete_validator(validator_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    validators.delete_validator(session, principal, validator_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
