"""Teams: a project's members and invitations (services/members.py does the work).

/api/v1/projects/{id}/members (list; change a role; remove), /invites (invite by e-mail),
/leave and /transfer; /api/v1/invites/{token} (read, accept, decline) and
/api/v1/project-invites/{id} (withdraw).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Path, Response, status

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.schemas import InviteAccepted, InviteIn, RoleIn, TransferIn
from promptrepo.services import members
from promptrepo.services.members import CreatedInvite, InviteView, Team

router = APIRouter(prefix="/api/v1", tags=["members"])
Token = Path(min_length=10, max_length=200, description="The token from the invitation link.")


@router.get("/projects/{project_id}/members", response_model=Team, summary="List the team")
def list_members(project_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    """The owner and the members with their roles (for members of the project); pending
    invitations too when the owner asks."""
    return members.list_team(session, principal, project_id)


@router.post(
    "/projects/{project_id}/invites",
    response_model=CreatedInvite,
    status_code=status.HTTP_201_CREATED,
    summary="Invite someone by e-mail",
)
def invite(project_id: uuid.UUID, body: InviteIn, session: SessionDep, principal: WritePrincipal):
    """The owner invites an address as editor or viewer; the link is mailed (or logged when
    SMTP is not set up) and returned. 409 when the address is already in the team."""
    return members.invite(session, principal, project_id, email=body.email, role=body.role)


@router.delete(
    "/project-invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw an invitation",
)
def revoke_invite(invite_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    members.revoke_invite(session, principal, invite_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch(
    "/projects/{project_id}/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change a member's role",
)
def change_role(
    project_id: uuid.UUID,
    member_id: uuid.UUID,
    body: RoleIn,
    session: SessionDep,
    principal: WritePrincipal,
):
    """The owner makes a member (`member_id`: their user id) an editor or a viewer."""
    members.change_role(session, principal, project_id, member_id, body.role)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/projects/{project_id}/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member",
)
def remove_member(
    project_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep, principal: WritePrincipal
):
    """The owner removes a member (`member_id`: their user id); their keys stop reaching it."""
    members.remove_member(session, principal, project_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/projects/{project_id}/leave",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Leave a project",
)
def leave(project_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    """A member leaves the project (the owner transfers it first)."""
    members.leave_project(session, principal, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/projects/{project_id}/transfer",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Transfer ownership to a member",
)
def transfer(
    project_id: uuid.UUID, body: TransferIn, session: SessionDep, principal: WritePrincipal
):
    """The member becomes the owner (the project counts against their plan: 402 when it
    does not fit) and the old owner stays as an editor."""
    members.transfer_ownership(session, principal, project_id, body.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/invites/{token}", response_model=InviteView, summary="Read an invitation")
def read_invite(session: SessionDep, principal: CurrentPrincipal, token: str = Token):
    """The invitation behind a link, for the invited address (403 for anyone else)."""
    return members.get_invite(session, principal, token)


@router.post(
    "/invites/{token}/accept", response_model=InviteAccepted, summary="Accept an invitation"
)
def accept_invite(session: SessionDep, principal: WritePrincipal, token: str = Token):
    """Join the project with the invited role. 409 when the invitation was already used,
    declined, withdrawn or has expired."""
    return {"project_id": members.accept_invite(session, principal, token)}


@router.post(
    "/invites/{token}/decline",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Decline an invitation",
)
def decline_invite(session: SessionDep, principal: WritePrincipal, token: str = Token):
    members.decline_invite(session, principal, token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
