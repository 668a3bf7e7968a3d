"""Reviewed releases and notifications (services/reviews.py, services/notifications.py).

/api/v1/prompts/{id}/proposals (list, propose), /api/v1/prompts/{id}/proposals/{pid}/approve,
/reject and /withdraw; /api/v1/notifications (the caller's bell) and /notifications/read.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.schemas import DecisionIn, NotificationsOut, ProposalIn, ProposalOut
from promptrepo.services import notifications, reviews
from promptrepo.services.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["reviews"])


def _out(view: reviews.ProposalView) -> dict:
    return view.to_dict()


def _of_prompt(view: reviews.ProposalView, prompt_id: uuid.UUID) -> reviews.ProposalView:
    if view.prompt_id != str(prompt_id):
        raise NotFound("Proposal not found.")
    return view


@router.get(
    "/prompts/{prompt_id}/proposals",
    response_model=list[ProposalOut],
    summary="List a prompt's release proposals",
)
def list_proposals(
    prompt_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    status_: Annotated[
        Literal["open", "approved", "rejected", "withdrawn"] | None, Query(alias="status")
    ] = None,
) -> list:
    """Open proposals first, then decided ones, newest first (the project's team only)."""
    return [_out(v) for v in reviews.list_proposals(session, principal, prompt_id, status=status_)]


@router.post(
    "/prompts/{prompt_id}/proposals",
    response_model=ProposalOut,
    status_code=status.HTTP_201_CREATED,
    summary="Propose moving a label that needs review",
)
def propose(
    prompt_id: uuid.UUID, body: ProposalIn, session: SessionDep, principal: WritePrincipal
) -> dict:
    """When the project's `production` needs review, owners and editors propose a move here:
    a `version`, a split (`arms`), or neither (remove the label), with a `message`. The
    project's other owners/editors are notified. 422 when the move would be refused anyway
    (failing checks or test cases, already so) or needs no review."""
    arms = [(a.version, a.weight) for a in body.arms] if body.arms else None
    return _out(
        reviews.propose(
            session,
            principal,
            prompt_id,
            label=body.label,
            to_version=body.version,
            arms=arms,
            message=body.message,
        )
    )


@router.post(
    "/prompts/{prompt_id}/proposals/{proposal_id}/approve",
    response_model=ProposalOut,
    summary="Approve a proposal: the label moves",
)
def approve(
    prompt_id: uuid.UUID,
    proposal_id: uuid.UUID,
    session: SessionDep,
    principal: WritePrincipal,
    body: DecisionIn | None = None,
) -> dict:
    """Another owner or editor approves (403 for the proposer); the checks run again and the
    label moves as any move does (history, webhooks, caches). 409 when it was decided already
    or is stale (the label moved since it was proposed)."""
    _of_prompt(reviews.proposal_detail(session, principal, proposal_id).proposal, prompt_id)
    view = reviews.approve(
        session, principal, proposal_id, reason=body.reason if body is not None else ""
    )
    return _out(view)


@router.post(
    "/prompts/{prompt_id}/proposals/{proposal_id}/reject",
    response_model=ProposalOut,
    summary="Reject a proposal, saying why",
)
def reject(
    prompt_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: DecisionIn,
    session: SessionDep,
    principal: WritePrincipal,
) -> dict:
    """Another owner or editor rejects with a `reason` (422 without one); the proposer hears."""
    _of_prompt(reviews.proposal_detail(session, principal, proposal_id).proposal, prompt_id)
    return _out(reviews.reject(session, principal, proposal_id, reason=body.reason))


@router.post(
    "/prompts/{prompt_id}/proposals/{proposal_id}/withdraw",
    response_model=ProposalOut,
    summary="Withdraw your own proposal",
)
def withdraw(
    prompt_id: uuid.UUID, proposal_id: uuid.UUID, session: SessionDep, principal: WritePrincipal
) -> dict:
    _of_prompt(reviews.proposal_detail(session, principal, proposal_id).proposal, prompt_id)
    return _out(reviews.withdraw(session, principal, proposal_id))


@router.get("/notifications", response_model=NotificationsOut, summary="Your notifications")
def list_notifications(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict:
    """Your newest notifications (release proposals and decisions) and how many are unread."""
    page = notifications.list_notifications(session, principal, limit=limit)
    return {"items": [n.to_dict() for n in page.items], "unread": page.unread}


@router.post(
    "/notifications/read",
    response_model=NotificationsOut,
    summary="Mark your notifications read",
)
def mark_read(
    session: SessionDep,
    principal: WritePrincipal,
    notification_id: Annotated[uuid.UUID | None, Query(alias="id")] = None,
) -> dict:
    """Mark one notification (`?id=`) or all of yours read; answers the list as it is now."""
    notifications.mark_read(session, principal, notification_id)
    page = notifications.list_notifications(session, principal)
    return {"items": [n.to_dict() for n in page.items], "unread": page.unread}
