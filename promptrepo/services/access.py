"""Who may read or change what. Every service loads objects through these functions.

Rules (`may_read`): the owner may read and write; anyone (even signed out) may read a public
project and its contents; a project-scoped API key reaches only its project; everything else
is "not found", so a private thing's existence never leaks.
Writing needs a principal that can write (a session or a read-write API key).
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from promptrepo.models import Project, Prompt, Segment, Validator
from promptrepo.services.errors import NotFound, PermissionDenied
from promptrepo.services.principal import Principal, require_write


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
) -> bool:
    """The read rule, for every channel (UI, REST, the serving cache, Langfuse API, MCP):
    the owner or anyone for a public project, and a project-scoped API key only its project."""
    if principal is not None and not principal.reaches_project(project_id):
        return False
    return is_public or (principal is not None and str(owner_id) == str(principal.user_id))


def _check(project: Project | None, principal: Principal | None, write: bool, what: str) -> Project:
    if project is None or not may_read(principal, project.user_id, project.is_public, project.id):
        raise NotFound(f"{what} not found.")
    is_owner = principal is not None and project.user_id == principal.user_id
    if write:
        require_write(principal)
        if not is_owner:
            raise PermissionDenied(f"Only the owner can change this {what.lower()}.")
    return project


def get_project(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    write: bool = False,
) -> Project:
    project = session.get(Project, _as_uuid(project_id, "Project"))
    return _check(project, principal, write, "Project")


def get_segment(
    session: Session,
    principal: Principal | None,
    segment_id: uuid.UUID | str,
    *,
    write: bool = False,
) -> tuple[Segment, Project]:
    row = session.exec(
        select(Segment, Project)
        .join(Project, Project.id == Segment.project_id)
        .where(Segment.id == _as_uuid(segment_id, "Segment"))
    ).first()
    project = _check(row[1] if row else None, principal, write, "Segment")
    return row[0], project


def get_prompt(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    write: bool = False,
) -> tuple[Prompt, Project]:
    row = session.exec(
        select(Prompt, Project)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(Prompt.id == _as_uuid(prompt_id, "Prompt"))
    ).first()
    project = _check(row[1] if row else None, principal, write, "Prompt")
    return row[0], project


def get_validator(
    session: Session,
    principal: Principal | None,
    validator_id: uuid.UUID | str,
    *,
    write: bool = False,
) -> tuple[Validator, Project]:
    row = session.exec(
        select(Validator, Project)
        .join(Prompt, Prompt.id == Validator.prompt_id)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(Validator.id == _as_uuid(validator_id, "Validator"))
    ).first()
    project = _check(row[1] if row else None, principal, write, "Validator")
    return row[0], project
