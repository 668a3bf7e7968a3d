"""Comments on a prompt's versions and diff lines (services/comments.py does the work).

/api/v1/prompts/{id}/comments (list, add), /api/v1/comments/{id} (read, edit, delete),
/api/v1/comments/{id}/resolve, and /api/v1/me/mentions (where the caller was mentioned).
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query, Response, status

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.schemas import CommentEditIn, CommentIn, ResolveIn
from promptrepo.services import comments
from promptrepo.services.comments import CommentInfo, CommentList, MyMention

router = APIRouter(prefix="/api/v1", tags=["comments"])


@router.get("/prompts/{prompt_id}/comments", response_model=CommentList, summary="List comments")
def list_comments(
    prompt_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    version: int | None = Query(
        default=None, ge=1, le=2**31 - 1, description="One version's threads only."
    ),
    status_: Literal["all", "open", "resolved"] = Query(default="all", alias="status"),
):
    """The prompt's threads with their replies, oldest first, for the project's team (a
    public project's other readers get 403); counts of open and resolved threads."""
    return comments.list_comments(session, principal, prompt_id, version=version, status=status_)


@router.post(
    "/prompts/{prompt_id}/comments",
    response_model=CommentInfo,
    status_code=status.HTTP_201_CREATED,
    summary="Comment on a version or a diff line",
)
def add_comment(
    prompt_id: uuid.UUID, body: CommentIn, session: SessionDep, principal: WritePrincipal
):
    """Any member (viewers too). `@handle` (a member's e-mail prefix or name) mentions them:
    stored, highlighted in `parts`, and the member is notified."""
    return comments.add_comment(
        session,
        principal,
        prompt_id,
        version=body.version,
        body=body.body,
        parent_id=body.parent_id,
        anchor_other=body.anchor_other,
        anchor_side=body.anchor_side,
        anchor_line=body.anchor_line,
    )


@router.get("/comments/{comment_id}", response_model=CommentInfo, summary="Read a comment")
def get_comment(comment_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    return comments.get_comment(session, principal, comment_id)


@router.patch("/comments/{comment_id}", response_model=CommentInfo, summary="Edit a comment")
def edit_comment(
    comment_id: uuid.UUID, body: CommentEditIn, session: SessionDep, principal: WritePrincipal
):
    """Its author only; people newly mentioned are notified."""
    return comments.edit_comment(session, principal, comment_id, body=body.body)


@router.delete(
    "/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a comment",
)
def delete_comment(comment_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    """Its author only; a thread's first comment takes the replies along."""
    comments.delete_comment(session, principal, comment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/comments/{comment_id}/resolve",
    response_model=CommentInfo,
    summary="Resolve or reopen a thread",
)
def resolve_comment(
    comment_id: uuid.UUID, body: ResolveIn, session: SessionDep, principal: WritePrincipal
):
    """The owner and editors any thread; other members their own."""
    return comments.set_resolved(session, principal, comment_id, body.resolved)


@router.get("/me/mentions", response_model=list[MyMention], summary="Where I was mentioned")
def my_mentions(
    session: SessionDep,
    principal: CurrentPrincipal,
    unread: bool = Query(default=False, description="Only those not yet marked read."),
):
    return comments.my_mentions(session, principal, unread_only=unread)


@router.post(
    "/me/mentions/read",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark my mentions read",
)
def mark_mentions_read(session: SessionDep, principal: WritePrincipal):
    comments.mark_mentions_read(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
