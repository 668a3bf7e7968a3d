"""Prompts: /api/v1/segments/{segment_id}/prompts and /api/v1/prompts/{prompt_id}."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.pagination import PAGINATION_DOC, Page, PageDep, paginate_list
from promptrepo.api.schemas import PromptCreate, PromptOut, PromptUpdate
from promptrepo.services import access, drafts, prompts, tags
from promptrepo.services.errors import ValidationFailed

router = APIRouter(prefix="/api/v1", tags=["prompts"])


@router.get(
    "/segments/{segment_id}/prompts",
    response_model=Page[PromptOut],
    summary="List a segment's prompts",
    description=PAGINATION_DOC,
)
def list_prompts(
    segment_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> dict:
    """The segment's prompts in order, with their current drafts."""
    rows = prompts.list_prompts(session, principal, segment_id)
    return paginate_list(page, rows, PromptOut.model_validate)


@router.post(
    "/segments/{segment_id}/prompts",
    response_model=PromptOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a prompt",
)
def create_prompt(
    segment_id: uuid.UUID, body: PromptCreate, session: SessionDep, principal: WritePrincipal
):
    """Add a prompt at `position` (default: the end). 402 over the plan's prompt limit."""
    return prompts.create_prompt(
        session,
        principal,
        segment_id,
        name=body.name,
        content=body.content,
        variables=body.variables,
        index=body.position,
        type=body.type,
        messages=body.messages,
        config=body.config,
        tags=body.tags,
    )


@router.get("/prompts/{prompt_id}", response_model=PromptOut, summary="Read a prompt's draft")
def get_prompt(prompt_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    """The prompt's working draft with its `revision` (send it back when you PATCH)."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    return prompt


@router.patch("/prompts/{prompt_id}", response_model=PromptOut, summary="Edit a prompt's draft")
def update_prompt(
    prompt_id: uuid.UUID, body: PromptUpdate, session: SessionDep, principal: WritePrincipal
):
    """Change the draft's name, content and/or variables (send as `base_revision` the `revision` you started
    from: if the prompt changed since, 409 with the current draft in `current`), replace its
    `tags`, and/or move it (`segment_id`, `position`)."""
    edits = {
        "name": body.name,
        "content": body.content,
        "variables": body.variables,
        "type": body.type,
        "messages": body.messages,
        "config": body.config,
    }
    prompt = None
    if any(value is not None for value in edits.values()):
        if body.base_revision is None:
            raise ValidationFailed(
                "Send the revision your change is based on.",
                errors=[{"loc": ["body", "base_revision"], "msg": "Required to change the draft."}],
            )
        prompt = drafts.save_draft(
            session, principal, prompt_id, base_revision=body.base_revision, **edits
        )
    if body.tags is not None:
        prompt = tags.set_tags(session, principal, prompt_id, body.tags)
    if body.segment_id is not None or body.position is not None:
        prompt = prompts.move_prompt(
            session,
            principal,
            prompt_id,
            segment_id=body.segment_id,
            new_index=body.position if body.position is not None else -1,
        )
    if prompt is None:
        prompt, _ = access.get_prompt(session, principal, prompt_id, write=True)
    return prompt


@router.delete(
    "/prompts/{prompt_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a prompt"
)
def delete_prompt(prompt_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    """Delete the prompt with its validators and versions."""
    prompts.delete_prompt(session, principal, prompt_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
