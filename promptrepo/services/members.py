"""A project's team: members with roles, invitations by e-mail, and ownership.

The owner (`projects.user_id`) invites an e-mail address as `editor` or `viewer`. The link
carries a random token; only its SHA-256 is stored, it works until `INVITE_TTL_SECONDS` and
once. Only someone signed in with the invited address may accept or decline it. The owner
changes roles, removes members, and may hand the project to a member (who becomes the owner;
the old owner stays as an editor). Members may leave. What each role may do is decided in
`services/access.py` alone.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from promptrepo import db
from promptrepo.models import (
    MEMBER_ROLES,
    Profile,
    Project,
    ProjectInvite,
    ProjectMember,
    Prompt,
    Segment,
    utcnow,
)
from promptrepo.services import access, accounts, audit, mail, plans
from promptrepo.services.changes import project_changed
from promptrepo.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from promptrepo.services.ordering import lock_project
from promptrepo.services.principal import Principal, require_user, require_write
from promptrepo.settings import settings


class Person(BaseModel):
    user_id: str
    name: str
    email: str
    role: str  # owner, editor, viewer
    joined_at: datetime | None = None


class PendingInvite(BaseModel):
    id: str
    email: str
    role: str
    expires_at: datetime


class Team(BaseModel):
    """Who is in a project, as its members see it (pending invitations: the owner only)."""

    project_id: str
    project_name: str
    my_role: str
    people: list[Person]
    invites: list[PendingInvite]
    # moving `production` needs another member's approval (services/reviews.py)
    production_needs_review: bool = False


class InviteView(BaseModel):
    """What the invitation page shows before the invitee answers."""

    project_id: str
    project_name: str
    invited_by_name: str
    email: str
    role: str
    status: str  # pending, accepted, declined, revoked, expired
    expires_at: datetime
    for_me: bool  # the signed-in user's address is the invited one


class CreatedInvite(BaseModel):
    id: str
    email: str
    role: str
    link: str
    mailed: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_link(token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/invites/{quote(token)}"


def _clean_role(role: str) -> str:
    if role not in MEMBER_ROLES:
        msg = "Choose a role: editor or viewer."
        raise ValidationFailed(msg, errors=[{"loc": ["role"], "msg": msg}])
    return role


def _as_user_id(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("Member not found.") from None


def _people(session: Session, project: Project) -> dict[uuid.UUID, tuple[str, str]]:
    """user id -> (name, e-mail) of the owner and the members. On PostgreSQL through
    `app_member_profiles` (migration 0018): members may not read each other's profiles."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            sa.text("SELECT user_id, name, email FROM app_member_profiles(:pid)"),
            {"pid": project.id},
        ).all()
    else:
        member_ids = select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)
        rows = session.execute(
            sa.select(Profile.id, Profile.name, Profile.email).where(
                sa.or_(Profile.id == project.user_id, Profile.id.in_(member_ids))
            )
        ).all()
    return {uuid.UUID(str(r[0])): (r[1] or "", r[2] or "") for r in rows}


def list_team(session: Session, principal: Principal | None, project_id: uuid.UUID | str) -> Team:
    """The owner and members with their roles; pending invitations when the owner asks."""
    principal = require_user(principal)
    project = access.get_project(session, principal, project_id)
    my_role = access.project_role(session, principal, project) or ""
    if not my_role:  # a reader of a public project
        raise PermissionDenied("Only the project's members can see its team.")
    profiles = _people(session, project)
    owner_name, owner_email = profiles.get(project.user_id, ("", ""))
    people = [
        Person(user_id=str(project.user_id), name=owner_name, email=owner_email, role="owner")
    ]
    members = session.exec(
        select(ProjectMember)
        .where(ProjectMember.project_id == project.id)
        .order_by(ProjectMember.created_at, ProjectMember.id)
    ).all()
    for member in members:
        name, email = profiles.get(member.user_id, ("", ""))
        people.append(
            Person(
                user_id=str(member.user_id),
                name=name,
                email=email,
                role=member.role,
                joined_at=member.created_at,
            )
        )
    invites: list[PendingInvite] = []
    if my_role == "owner":
        now = utcnow()
        invites = [
            PendingInvite(id=str(i.id), email=i.email, role=i.role, expires_at=i.expires_at)
            for i in session.exec(
                select(ProjectInvite)
                .where(ProjectInvite.project_id == project.id, ProjectInvite.status == "pending")
                .order_by(ProjectInvite.created_at)
            ).all()
            if i.expires_at > now
        ]
    return Team(
        project_id=str(project.id),
        project_name=project.name,
        my_role=my_role,
        people=people,
        invites=invites,
        production_needs_review=project.production_needs_review,
    )


# --------------------------------------------------------------------------- invitations
def invite(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    email: str,
    role: str,
) -> CreatedInvite:
    """Invite `email` as `role`; mail the link after commit (or log it without SMTP).

    A pending invitation to the same address is replaced (its link stops working).
    Conflict when the address is already the owner's or a member's."""
    project = access.get_project(session, principal, project_id, need="manage")
    assert principal is not None
    role = _clean_role(role)
    address = accounts.normalise_email(email)
    project = lock_project(session, project.id)
    for user_id, (_, member_email) in _people(session, project).items():
        if member_email.lower() == address:
            who = "the owner" if user_id == project.user_id else "already a member"
            raise Conflict(
                f"{address} is {who} of this project.",
                errors=[{"loc": ["email"], "msg": f"{address} is {who} of this project."}],
            )
    for old in session.exec(
        select(ProjectInvite).where(
            ProjectInvite.project_id == project.id,
            ProjectInvite.email == address,
            ProjectInvite.status == "pending",
        )
    ).all():
        old.status, old.responded_at = "revoked", utcnow()
        session.add(old)
    token = secrets.token_urlsafe(32)
    row = ProjectInvite(
        project_id=project.id,
        email=address,
        role=role,
        token_hash=token_hash(token),
        project_name=project.name,
        invited_by_name=(principal.name or principal.email)[:200],
        invited_by=principal.user_id,
        expires_at=utcnow() + timedelta(seconds=settings.invite_ttl_seconds),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, principal.user_id, "member.invite", "project", project.id, email=address, role=role
    )
    link = invite_link(token)
    days = max(1, settings.invite_ttl_seconds // 86400)
    body = (
        f"{row.invited_by_name} invited you to the project “{project.name}” on PromptRepo "
        f"as {role}.\n\nAccept or decline: {link}\n\nThe link works for {days} days, once, "
        f"and only when you are signed in as {address}."
    )
    db.after_commit(
        session,
        lambda: mail.send_mail_soon(
            address, f"Invitation to “{project.name}”", body, log_fields={"invite_link": link}
        ),
    )
    return CreatedInvite(
        id=str(row.id), email=address, role=role, link=link, mailed=bool(settings.smtp_host)
    )


def revoke_invite(
    session: Session, principal: Principal | None, invite_id: uuid.UUID | str
) -> None:
    """The owner withdraws a pending invitation (its link stops working)."""
    try:
        iid = invite_id if isinstance(invite_id, uuid.UUID) else uuid.UUID(str(invite_id))
    except ValueError:
        raise NotFound("Invitation not found.") from None
    row = session.get(ProjectInvite, iid)
    if row is None:
        raise NotFound("Invitation not found.")
    try:  # only the owner sees invitations (as under row-level security)
        access.get_project(session, principal, row.project_id, need="manage")
    except PermissionDenied:
        require_write(principal)
        raise NotFound("Invitation not found.") from None
    if row.status == "pending":
        row.status, row.responded_at = "revoked", utcnow()
        session.add(row)
        session.flush()


def _find_invite(session: Session, token: str) -> ProjectInvite | None:
    """The invitation of a link's token. On PostgreSQL through `app_invite_by_token`
    (knowing the token is the capability; the invitee is not in the project yet)."""
    digest = token_hash(token or "")
    if session.get_bind().dialect.name != "postgresql":
        return session.exec(select(ProjectInvite).where(ProjectInvite.token_hash == digest)).first()
    row = session.execute(
        sa.text(
            "SELECT id, project_id, email, role, project_name, invited_by_name, status, "
            "expires_at FROM app_invite_by_token(:h)"
        ),
        {"h": digest},
    ).first()
    if row is None:
        return None
    return ProjectInvite(
        id=row.id,
        project_id=row.project_id,
        email=row.email,
        role=row.role,
        token_hash=digest,
        project_name=row.project_name,
        invited_by_name=row.invited_by_name,
        status=row.status,
        expires_at=row.expires_at,
    )


def _status(row: ProjectInvite) -> str:
    if row.status == "pending" and row.expires_at <= utcnow():
        return "expired"
    return row.status


def get_invite(session: Session, principal: Principal | None, token: str) -> InviteView:
    """The invitation behind a link, for the invited address or the project's owner
    (NotFound for an unknown token, PermissionDenied for anyone else)."""
    principal = require_user(principal)
    row = _find_invite(session, token)
    if row is None:
        raise NotFound("This invitation link is not valid. Ask the project's owner for a new one.")
    for_me = principal.email.lower() == row.email.lower()
    if not for_me:  # a forwarded link tells others nothing about the project
        project = session.get(Project, row.project_id)
        if project is None or access.project_role(session, principal, project) != "owner":
            raise PermissionDenied(
                f"This invitation is for {row.email}. Sign in with that address to answer it."
            )
    return InviteView(
        project_id=str(row.project_id),
        project_name=row.project_name,
        invited_by_name=row.invited_by_name,
        email=row.email,
        role=row.role,
        status=_status(row),
        expires_at=row.expires_at,
        for_me=for_me,
    )


_ENDED = {
    "accepted": "This invitation has already been accepted.",
    "declined": "This invitation was declined.",
    "revoked": "This invitation was withdrawn by the project's owner.",
    "expired": "This invitation has expired. Ask the project's owner for a new one.",
}


def _answerable(session: Session, principal: Principal | None, token: str) -> ProjectInvite:
    principal = require_write(principal)
    if principal.api_key_scope is not None:
        raise PermissionDenied("Invitations are answered signed in, not with an API key.")
    found = _find_invite(session, token)
    if found is None:
        raise NotFound("This invitation link is not valid. Ask the project's owner for a new one.")
    if principal.email.lower() != found.email.lower():
        raise PermissionDenied(
            f"This invitation is for {found.email}. Sign in with that address to answer it."
        )
    status = _status(found)
    if status != "pending":
        raise Conflict(_ENDED[status])
    row = session.get(ProjectInvite, found.id)  # readable now: it is addressed to us
    if row is None:
        raise NotFound("This invitation link is not valid. Ask the project's owner for a new one.")
    return row


def accept_invite(session: Session, principal: Principal | None, token: str) -> uuid.UUID:
    """Join the project with the invited role; returns the project's id."""
    row = _answerable(session, principal, token)
    assert principal is not None
    project_id = row.project_id
    try:
        with session.begin_nested():
            project = session.get(Project, project_id)
            if project is not None and project.user_id == principal.user_id:
                raise Conflict("You already own this project.")
            session.add(
                ProjectMember(
                    project_id=project_id,
                    user_id=principal.user_id,
                    role=row.role,
                    invited_by=row.invited_by,
                )
            )
            session.flush()
    except IntegrityError:
        raise Conflict("You are already a member of this project.") from None
    row.status, row.responded_at = "accepted", utcnow()
    session.add(row)
    session.flush()
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("This project no longer exists.")
    audit.record(session, principal.user_id, "member.join", "project", project_id, role=row.role)
    project_changed(session, project, kind="members", touch=False)
    return project_id


def decline_invite(session: Session, principal: Principal | None, token: str) -> None:
    row = _answerable(session, principal, token)
    row.status, row.responded_at = "declined", utcnow()
    session.add(row)
    session.flush()


# --------------------------------------------------------------------------- members
def _member(session: Session, project: Project, user_id: uuid.UUID | str) -> ProjectMember:
    member = session.exec(
        select(ProjectMember).where(
            ProjectMember.project_id == project.id,
            ProjectMember.user_id == _as_user_id(user_id),
        )
    ).first()
    if member is None:
        raise NotFound("Member not found.")
    return member


def change_role(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    user_id: uuid.UUID | str,
    role: str,
) -> None:
    """The owner makes a member an editor or a viewer."""
    project = access.get_project(session, principal, project_id, need="manage")
    assert principal is not None
    role = _clean_role(role)
    member = _member(session, project, user_id)
    if member.role != role:
        member.role = role
        session.add(member)
        session.flush()
        audit.record(
            session,
            principal.user_id,
            "member.role",
            "project",
            project.id,
            member=str(member.user_id),
            role=role,
        )
        project_changed(session, project, kind="members", touch=False)


def remove_member(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    user_id: uuid.UUID | str,
) -> None:
    """The owner removes a member (their API keys stop reaching the project at once)."""
    project = access.get_project(session, principal, project_id, need="manage")
    assert principal is not None
    member = _member(session, project, user_id)
    session.delete(member)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "member.remove",
        "project",
        project.id,
        member=str(member.user_id),
    )
    project_changed(session, project, kind="members", touch=False, also=(member.user_id,))


def leave_project(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> None:
    """A member leaves; the owner cannot (transfer the project first)."""
    project = access.get_project(session, principal, project_id, need="member")
    principal = require_write(principal)
    if project.user_id == principal.user_id:
        raise Conflict("You own this project: transfer it to a member before leaving.")
    member = _member(session, project, principal.user_id)
    session.delete(member)
    session.flush()
    audit.record(session, principal.user_id, "member.leave", "project", project.id)
    project_changed(session, project, kind="members", touch=False, also=(principal.user_id,))


def transfer_ownership(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    user_id: uuid.UUID | str,
) -> None:
    """Hand the project to one of its members: they become the owner (the project now counts
    against their plan) and the old owner stays on as an editor."""
    project = access.get_project(session, principal, project_id, need="manage")
    assert principal is not None
    project = lock_project(session, project.id)
    member = _member(session, project, user_id)
    new_owner, old_owner = member.user_id, project.user_id
    plans.ensure_can_add_projects(session, new_owner)
    plans.ensure_can_add_prompts(session, new_owner, _prompt_count(session, project.id))
    # One statement at a time, in this order: under row-level security only the owner may
    # add a member, so the old owner joins as editor before the project changes hands.
    session.delete(member)
    session.flush()
    session.add(
        ProjectMember(project_id=project.id, user_id=old_owner, role="editor", invited_by=new_owner)
    )
    session.flush()
    try:
        with session.begin_nested():
            project.user_id = new_owner
            session.add(project)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f'The new owner already has a project named "{project.name}". Rename this one first.'
        ) from None
    audit.record(session, old_owner, "project.transfer", "project", project.id, to=str(new_owner))
    project_changed(session, project, kind="members")


def _prompt_count(session: Session, project_id: uuid.UUID) -> int:
    return session.execute(
        sa.select(sa.func.count(Prompt.id))
        .join(Segment, Segment.id == Prompt.segment_id)
        .where(Segment.project_id == project_id)
    ).scalar_one()


__all__ = [
    "CreatedInvite",
    "InviteView",
    "Team",
    "accept_invite",
    "change_role",
    "decline_invite",
    "get_invite",
    "invite",
    "leave_project",
    "list_team",
    "remove_member",
    "revoke_invite",
    "transfer_ownership",
]
