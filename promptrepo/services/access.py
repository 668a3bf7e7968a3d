"""Who may read or change what. Every service loads objects through these functions.

Roles (`project_role`): the project's owner (`projects.user_id`), its members (`editor` or
`viewer`, `project_members`), or nobody. What each may do (`need`):
- `read`: anyone for a public project, any role for a private one;
- `member`: any role (a viewer runs the playground, with their own provider keys);
- `edit`: owner or editor (content, versions, drafts, validators, test cases, releases);
- `manage`: the owner (members, settings, visibility, deletion, webhooks).
A project-scoped API key reaches only its project, with its owner's role there (so a key of
someone removed from the project reaches nothing). Everything else is "not found", so a
private thing's existence never leaks; a member without the right gets "forbidden".
Writing needs a principal that can write (a session or a read-write API key).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Literal

from sqlmodel import Session, select

from promptrepo.models import Project, ProjectMember, Prompt, Segment, Validator
from promptrepo.services.errors import NotFound, PermissionDenied
from promptrepo.services.principal import Principal, require_write

Need = Literal["read", "member", "edit", "manage"]
ROLE_RANK = {"viewer": 1, "editor": 2, "owner": 3}
NEED_RANK = {"read": 0, "member": 1, "edit": 2, "manage": 3}
_REFUSALS = {
    "member": "Only the project's members can do this.",
    "edit": "Viewers can't change this project: ask its owner for the editor role.",
    "manage": "Only the project's owner can do this.",
}


def _as_uuid(value: uuid.UUID | str, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} not found.") from None


def may_read(
    principal: Principal | None,
    owner_id: uuid.UUID | str,
    is_public: bool,
    project_id: uuid.UUID | str,
    member_ids: Collection[str] = (),
) -> bool:
    """The read rule, for every channel (UI, REST, the serving cache, Langfuse API, MCP):
    anyone for a public project, else its owner or a member (`member_ids`, as strings), and a
    project-scoped API key only its project."""
    if principal is not None and not principal.reaches_project(project_id):
        return False
    if is_public:
        return True
    if principal is None:
        return False
    user = str(principal.user_id)
    return user == str(owner_id) or user in member_ids


def member_role(session: Session, project_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    """The member's role (`editor`/`viewer`) in the project, None when not a member."""
    return session.exec(
        select(ProjectMember.role).where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
        )
    ).first()


def project_role(session: Session, principal: Principal | None, project: Project) -> str | None:
    """`owner`, `editor`, `viewer`, or None (no role: an outsider, or signed out). A
    project-scoped API key has its owner's role in its own project and none elsewhere."""
    if principal is None or not principal.reaches_project(project.id):
        return None
    if project.user_id == principal.user_id:
        return "owner"
    return member_role(session, project.id, principal.user_id)


def _check(
    session: Session,
    project: Project | None,
    principal: Principal | None,
    need: Need,
    what: str,
) -> Project:
    if project is None:
        raise NotFound(f"{what} not found.")
    role = project_role(session, principal, project)
    if role is None and not (project.is_public and principal_reaches(principal, project)):
        raise NotFound(f"{what} not found.")
    if need == "read":
        return project
    require_write(principal)
    if role is None:  # a reader of a public project
        raise PermissionDenied(f"Only the project's team can change this {what.lower()}.")
    if ROLE_RANK[role] < NEED_RANK[need]:
        raise PermissionDenied(_REFUSALS[need])
    return project


def principal_reaches(principal: Principal | None, project: Project) -> bool:
    return principal is None or principal.reaches_project(project.id)


def _need(write: bool, need: Need | None) -> Need:
    return need or ("edit" if write else "read")


def get_project(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    write: bool = False,
    need: Need | None = None,
) -> Project:
    project = session.get(Project, _as_uuid(project_id, "Project"))
    return _check(session, project, principal, _need(write, need), "Project")


def get_segment(
    session: Session,
    principal: Principal | None,
    segment_id: uuid.UUID | str,
    *,
    write: bool = False,
    need: Need | None = None,
) -> tuple[Segment, Project]:
    row = session.exec(
        select(Segment, Project)
        .join(Project, Project.id == Segment.project_id)
        .where(Segment.id == _as_uuid(segment_id, "Segment"))
    ).first()
    project = _check(session, row[1] if row else None, principal, _need(write, need), "Segment")
    return row[0], project


def get_prompt(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    write: bool = False,
    need: Need | None = None,
) -> tuple[Prompt, Project]:
    row = session.exec(
        select(Prompt, Project)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(Prompt.id == _as_uuid(prompt_id, "Prompt"))
    ).first()
    project = _check(session, row[1] if row else None, principal, _need(write, need), "Prompt")
    return row[0], project


def get_validator(
    session: Session,
    principal: Principal | None,
    validator_id: uuid.UUID | str,
    *,
    write: bool = False,
    need: Need | None = None,
) -> tuple[Validator, Project]:
    row = session.exec(
        select(Validator, Project)
        .join(Prompt, Prompt.id == Validator.prompt_id)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(Validator.id == _as_uuid(validator_id, "Validator"))
    ).first()
    project = _check(session, row[1] if row else None, principal, _need(write, need), "Validator")
    return row[0], project


def role_in(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> tuple[Project, str | None]:
    """The readable project and the principal's role in it (None for a public reader)."""
    project = get_project(session, principal, project_id)
    return project, project_role(session, principal, project)
