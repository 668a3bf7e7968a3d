"""Projects: the owner's list, create, update, delete, and the detail view. The public gallery
is `services/gallery.py`; copies (duplicate, fork) are `services/forks.py`.

A project is an ordered composition: segments in order, prompts in order inside each segment.
Every function checks the acting principal through `services/access.py` (another user's
private project is "not found") and every change calls `changes.project_changed`, so caches
drop the project and open views refresh once the caller commits.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from promptrepo.models import (
    Project,
    ProjectMember,
    Prompt,
    Segment,
)
from promptrepo.services import access, audit, names, plans
from promptrepo.services.changes import project_changed
from promptrepo.services.errors import Conflict, NotFound, ValidationFailed
from promptrepo.services.ordering import clean_name, lock_project, lock_user
from promptrepo.services.principal import Principal, require_user, require_write
from promptrepo.services.project_tree import load_project_tree

DESCRIPTION_MAX = 2000
MAX_PER_PAGE = 100
ProjectSort = Literal["updated", "name"]


# --------------------------------------------------------------------------- read models
class ProjectSummary(BaseModel):
    """One row of the dashboard or the gallery."""

    id: str
    name: str
    description: str
    is_public: bool
    segment_count: int
    prompt_count: int
    updated_at: datetime
    fork_count: int
    owner_name: str = ""
    owner_id: str = ""
    role: str = ""  # the viewer's role: owner, editor, viewer ("" in the public gallery)


class ProjectPage(BaseModel):
    items: list[ProjectSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


class PromptItem(BaseModel):
    id: str
    name: str
    order: int
    content: str
    revision: int
    updated_at: datetime
    published_version: int | None = None
    tags: list[str] = []


class SegmentDetail(BaseModel):
    id: str
    name: str
    order: int
    prompts: list[PromptItem]


class ProjectDetail(BaseModel):
    id: str
    name: str
    description: str
    is_public: bool
    owner_id: str
    owner_name: str
    is_owner: bool
    role: str  # the viewer's role: owner, editor, viewer, or "" (a public project's reader)
    fork_count: int
    forked_from_id: str | None
    forked_from_name: str | None
    created_at: datetime
    updated_at: datetime
    segments: list[SegmentDetail]

    @property
    def prompt_count(self) -> int:
        return sum(len(s.prompts) for s in self.segments)


# --------------------------------------------------------------------------- helpers
def like_pattern(search: str) -> str:
    escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page_args(page: int, per_page: int) -> tuple[int, int]:
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    return max(1, int(page)), per_page


def _count_columns():
    segment_count = (
        sa.select(sa.func.count(Segment.id))
        .where(Segment.project_id == Project.id)
        .correlate(Project)
        .scalar_subquery()
    )
    prompt_count = (
        sa.select(sa.func.count(Prompt.id))
        .join(Segment, Segment.id == Prompt.segment_id)
        .where(Segment.project_id == Project.id)
        .correlate(Project)
        .scalar_subquery()
    )
    return segment_count.label("segment_count"), prompt_count.label("prompt_count")


def summary_page(
    session: Session,
    where: list,
    order_by: list,
    page: int,
    per_page: int,
    *,
    with_owner: bool,
    role_of: uuid.UUID | None = None,
) -> ProjectPage:
    """Two queries whatever the number of projects: the total, and the page with its counts."""
    page, per_page = _page_args(page, per_page)
    total = session.execute(sa.select(sa.func.count(Project.id)).where(*where)).scalar_one()
    segment_count, prompt_count = _count_columns()
    columns = [
        Project.id,
        Project.name,
        Project.description,
        Project.is_public,
        Project.updated_at,
        Project.fork_count,
        Project.user_id,
        segment_count,
        prompt_count,
    ]
    query = sa.select(*columns)
    if with_owner:
        query = query.add_columns(owner_name_of(session, Project.user_id).label("owner_name"))
    if role_of is not None:
        query = query.add_columns(role_column(role_of).label("role"))
    rows = session.execute(
        query.where(*where).order_by(*order_by).offset((page - 1) * per_page).limit(per_page)
    ).all()
    items = [
        ProjectSummary(
            id=str(row.id),
            name=row.name,
            description=row.description,
            is_public=row.is_public,
            updated_at=row.updated_at,
            fork_count=row.fork_count,
            segment_count=row.segment_count,
            prompt_count=row.prompt_count,
            owner_name=row.owner_name if with_owner else "",
            owner_id=str(row.user_id),
            role=row.role if role_of is not None else "",
        )
        for row in rows
    ]
    return ProjectPage(items=items, total=total, page=page, per_page=per_page)


def _clean_description(value: str | None) -> str:
    description = (value or "").strip()
    if len(description) > DESCRIPTION_MAX:
        msg = f"The description is {len(description)} characters long; the limit is {DESCRIPTION_MAX}."
        raise ValidationFailed(msg, errors=[{"loc": ["description"], "msg": msg}])
    return description


def _name_taken(
    session: Session, user_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> bool:
    query = select(Project.id).where(
        Project.user_id == user_id, sa.func.lower(Project.name) == name.lower()
    )
    if exclude is not None:
        query = query.where(Project.id != exclude)
    return session.exec(query).first() is not None


def ensure_name_free(
    session: Session, user_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> None:
    if _name_taken(session, user_id, name, exclude):
        msg = f'You already have a project named "{name}". Choose another name.'
        raise Conflict(msg, errors=[{"loc": ["name"], "msg": msg}])


def available_name(session: Session, user_id: uuid.UUID, wanted: str, suffix: str) -> str:
    """`wanted` if the user has no project of that name, else `wanted (suffix)`, `(suffix 2)`…"""
    if not _name_taken(session, user_id, wanted):
        return wanted
    n = 1
    while True:
        tail = f" ({suffix})" if n == 1 else f" ({suffix} {n})"
        candidate = wanted[: 100 - len(tail)].rstrip() + tail
        if not _name_taken(session, user_id, candidate):
            return candidate
        n += 1


def flush_new_project(session: Session, project: Project) -> None:
    """Insert `project`; a concurrent insert of the same name becomes a clear Conflict."""
    try:
        with session.begin_nested():
            session.add(project)
            session.flush()
    except IntegrityError:
        msg = f'You already have a project named "{project.name}". Choose another name.'
        raise Conflict(msg, errors=[{"loc": ["name"], "msg": msg}]) from None


# --------------------------------------------------------------------------- listing
def list_projects(
    session: Session,
    principal: Principal | None,
    *,
    search: str = "",
    sort: ProjectSort = "updated",
    page: int = 1,
    per_page: int = 20,
) -> ProjectPage:
    """The principal's projects and those shared with them (with their role), one page at a
    time, with segment and prompt counts.

    `sort` is "updated" (most recently changed first) or "name" (A→Z, case-insensitive).
    Runs two SQL queries whatever the number of projects.
    """
    principal = require_user(principal)
    where = [readable_as_member(principal.user_id)]
    if principal.api_key_project_id is not None:  # a project key sees its project only
        where.append(Project.id == principal.api_key_project_id)
    if search.strip():
        where.append(Project.name.ilike(like_pattern(search), escape="\\"))
    if sort == "name":
        order_by = [sa.func.lower(Project.name), Project.id]
    else:
        order_by = [Project.updated_at.desc(), Project.id]
    return summary_page(
        session, where, order_by, page, per_page, with_owner=True, role_of=principal.user_id
    )


def member_project_ids(user_id: uuid.UUID) -> sa.Select:
    """The ids of the projects `user_id` is a member of (not owner)."""
    return sa.select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)


def readable_as_member(user_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """Projects `user_id` owns or is a member of (public ones they are not in excluded)."""
    return sa.or_(Project.user_id == user_id, Project.id.in_(member_project_ids(user_id)))


def role_column(user_id: uuid.UUID) -> sa.ColumnElement[str]:
    """`owner`, or the member's role, of `user_id` in each project row."""
    member = (
        sa.select(ProjectMember.role)
        .where(ProjectMember.project_id == Project.id, ProjectMember.user_id == user_id)
        .correlate(Project)
        .scalar_subquery()
    )
    return sa.case((Project.user_id == user_id, "owner"), else_=sa.func.coalesce(member, ""))


def owner_name_of(session: Session, user_id) -> sa.ColumnElement:
    """The display name of the user `user_id`, for showing projects (services/names.py)."""
    name = names.display_name(session, user_id)
    return sa.func.coalesce(name, "") if session.get_bind().dialect.name == "postgresql" else name


# --------------------------------------------------------------------------- detail
def get_project_detail(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> ProjectDetail:
    """The project with its segments in order and each segment's prompts in order.

    Readable by its owner, and by anyone (signed out too) when public; otherwise NotFound.
    """
    project = access.get_project(session, principal, project_id)
    owner_name = session.execute(sa.select(owner_name_of(session, project.user_id))).scalar_one()
    tree = load_project_tree(session, project, published="numbers")
    forked_from_name = None
    if project.forked_from_id is not None:
        origin = session.get(Project, project.forked_from_id)
        is_own = origin is not None and access.project_role(session, principal, origin) is not None
        if origin is not None and (origin.is_public or is_own):
            forked_from_name = origin.name
    by_segment = {
        segment_id: [
            PromptItem(
                id=str(p.id),
                name=p.name,
                order=p.order,
                content=p.content,
                revision=p.revision,
                updated_at=p.updated_at,
                published_version=tree.published_numbers.get(p.id),
                tags=list(p.tags or []),
            )
            for p in prompts
        ]
        for segment_id, prompts in tree.prompts_by_segment().items()
    }
    return ProjectDetail(
        id=str(project.id),
        name=project.name,
        description=project.description,
        is_public=project.is_public,
        owner_id=str(project.user_id),
        owner_name=owner_name,
        is_owner=principal is not None and principal.user_id == project.user_id,
        role=access.project_role(session, principal, project) or "",
        fork_count=project.fork_count,
        forked_from_id=str(project.forked_from_id) if forked_from_name else None,
        forked_from_name=forked_from_name,
        created_at=project.created_at,
        updated_at=project.updated_at,
        segments=[
            SegmentDetail(id=str(s.id), name=s.name, order=s.order, prompts=by_segment[s.id])
            for s in tree.segments
        ],
    )


def compose_text(detail: ProjectDetail) -> str:
    """The project's full prompt: every prompt's content in order, separated by a blank line."""
    parts = [
        prompt.content.strip("\n")
        for segment in detail.segments
        for prompt in segment.prompts
        if prompt.content.strip()
    ]
    return "\n\n".join(parts)


def compose_project(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> str:
    """The whole project's text: segments in order, prompts in order (their current drafts)."""
    return compose_text(get_project_detail(session, principal, project_id))


# --------------------------------------------------------------------------- changes
def create_project(
    session: Session,
    principal: Principal | None,
    *,
    name: str,
    description: str = "",
    is_public: bool = False,
) -> Project:
    """Create an empty project; the name (1–100 characters, trimmed) must be new for the user.

    Raises ValidationFailed (bad name/description), Conflict (name taken) or
    PlanLimitReached (the plan's project limit), creating nothing in each case.
    """
    principal = require_write(principal)
    name = clean_name(name, what="project")
    description = _clean_description(description)
    lock_user(session, principal.user_id)
    ensure_name_free(session, principal.user_id, name)
    plans.ensure_can_add_projects(session, principal.user_id)
    project = Project(
        user_id=principal.user_id, name=name, description=description, is_public=bool(is_public)
    )
    flush_new_project(session, project)
    project_changed(session, project, kind="created")
    audit.record(session, principal.user_id, "project.create", "project", project.id, name=name)
    return project


def update_project(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    name: str | None = None,
    description: str | None = None,
    is_public: bool | None = None,
) -> Project:
    """Rename, re-describe or change the visibility of the principal's own project."""
    project = access.get_project(session, principal, project_id, need="manage")
    project = lock_project(session, project.id)
    changed = False
    if name is not None:
        new_name = clean_name(name, what="project")
        if new_name != project.name:
            ensure_name_free(session, project.user_id, new_name, exclude=project.id)
            project.name = new_name
            changed = True
    if description is not None:
        new_description = _clean_description(description)
        if new_description != project.description:
            project.description = new_description
            changed = True
    if is_public is not None and bool(is_public) != project.is_public:
        project.is_public = bool(is_public)
        audit.record(
            session,
            project.user_id,
            "project.visibility",
            "project",
            project.id,
            is_public=project.is_public,
        )
        changed = True
    if changed:
        try:
            with session.begin_nested():
                session.add(project)
                session.flush()
        except IntegrityError:
            msg = f'You already have a project named "{project.name}". Choose another name.'
            raise Conflict(msg, errors=[{"loc": ["name"], "msg": msg}]) from None
        project_changed(session, project)
    return project


def delete_project(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> None:
    """Delete the principal's own project with its segments, prompts, validators and versions."""
    project = access.get_project(session, principal, project_id, need="manage")
    origin_id = project.forked_from_id
    project_changed(session, project, kind="deleted")
    audit.record(
        session, project.user_id, "project.delete", "project", project.id, name=project.name
    )
    # Children go with it through the foreign keys' ON DELETE CASCADE.
    session.execute(sa.delete(Project).where(Project.id == project.id))
    session.expunge(project)
    if origin_id is not None:
        refresh_fork_count(session, origin_id)
        origin = session.get(Project, origin_id)
        if origin is not None:  # readable (public, or own): tell its open views
            project_changed(session, origin, kind="fork_deleted", touch=False)


def refresh_fork_count(session: Session, project_id: uuid.UUID) -> int:
    """Set a project's fork_count to the number of its existing forks, and return it.

    On PostgreSQL this goes through `app_refresh_fork_count` (migration 0003): under
    row-level security the forker may not update someone else's project row, and the
    function locks that row so concurrent forks are all counted.
    """
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(
            sa.text("SELECT app_refresh_fork_count(:pid)"), {"pid": project_id}
        ).scalar_one()
    fork = Project.__table__.alias("fork")
    forks = (
        sa.select(sa.func.count(fork.c.id)).where(fork.c.forked_from_id == project_id)
    ).scalar_subquery()
    session.execute(
        sa.update(Project)
        .where(Project.id == project_id)
        .values(fork_count=forks)
        .execution_options(synchronize_session=False)
    )
    count = session.execute(
        sa.select(Project.fork_count).where(Project.id == project_id)
    ).scalar_one_or_none()
    return count or 0


def get_owned_project(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> Project:
    """The project if the principal owns it (NotFound otherwise, even when public)."""
    project = access.get_project(session, principal, project_id)
    if principal is None or project.user_id != principal.user_id:
        raise NotFound("Project not found.")
    return project


__all__ = [
    "ProjectDetail",
    "ProjectPage",
    "ProjectSummary",
    "PromptItem",
    "SegmentDetail",
    "compose_project",
    "compose_text",
    "create_project",
    "delete_project",
    "get_project_detail",
    "list_projects",
    "lock_project",
    "update_project",
]
