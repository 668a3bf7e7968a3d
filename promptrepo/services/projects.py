"""Projects: list, create, update, delete, duplicate, fork, the public gallery and the detail view.

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
    PRODUCTION_LABEL,
    Profile,
    Project,
    Prompt,
    Segment,
    Validator,
    Version,
    VersionLabel,
)
from promptrepo.services import access, audit, plans
from promptrepo.services.changes import project_changed
from promptrepo.services.errors import Conflict, NotFound, ValidationFailed
from promptrepo.services.ordering import clean_name, lock_project, lock_user
from promptrepo.services.principal import Principal, require_user, require_write

DESCRIPTION_MAX = 2000
MAX_PER_PAGE = 100
ProjectSort = Literal["updated", "name"]
GallerySort = Literal["popular", "updated", "name"]


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
def _like_pattern(search: str) -> str:
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


def _summary_page(
    session: Session,
    where: list,
    order_by: list,
    page: int,
    per_page: int,
    *,
    with_owner: bool,
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
        query = query.add_columns(Profile.name.label("owner_name")).join(
            Profile, Profile.id == Project.user_id
        )
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


def _ensure_name_free(
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


def _flush_new_project(session: Session, project: Project) -> None:
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
    """The principal's own projects, one page at a time, with segment and prompt counts.

    `sort` is "updated" (most recently changed first) or "name" (A→Z, case-insensitive).
    Runs two SQL queries whatever the number of projects.
    """
    principal = require_user(principal)
    where = [Project.user_id == principal.user_id]
    if search.strip():
        where.append(Project.name.ilike(_like_pattern(search), escape="\\"))
    if sort == "name":
        order_by = [sa.func.lower(Project.name), Project.id]
    else:
        order_by = [Project.updated_at.desc(), Project.id]
    return _summary_page(session, where, order_by, page, per_page, with_owner=False)


def list_public_projects(
    session: Session,
    *,
    search: str = "",
    sort: GallerySort = "popular",
    page: int = 1,
    per_page: int = 20,
) -> ProjectPage:
    """Public projects of every user, with their owner's name; private ones never appear.

    `search` matches the name or the description; `sort` is "popular" (most forked),
    "updated" or "name".
    """
    where: list = [Project.is_public.is_(True)]
    if search.strip():
        pattern = _like_pattern(search)
        where.append(
            sa.or_(
                Project.name.ilike(pattern, escape="\\"),
                Project.description.ilike(pattern, escape="\\"),
            )
        )
    if sort == "name":
        order_by = [sa.func.lower(Project.name), Project.id]
    elif sort == "updated":
        order_by = [Project.updated_at.desc(), Project.id]
    else:
        order_by = [Project.fork_count.desc(), Project.updated_at.desc(), Project.id]
    return _summary_page(session, where, order_by, page, per_page, with_owner=True)


# --------------------------------------------------------------------------- detail
def get_project_detail(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> ProjectDetail:
    """The project with its segments in order and each segment's prompts in order.

    Readable by its owner, and by anyone (signed out too) when public; otherwise NotFound.
    """
    project = access.get_project(session, principal, project_id)
    owner_name = session.exec(select(Profile.name).where(Profile.id == project.user_id)).one()
    segments = session.exec(
        select(Segment)
        .where(Segment.project_id == project.id)
        .order_by(Segment.order, Segment.created_at, Segment.id)
    ).all()
    prompts = session.exec(
        select(Prompt)
        .join(Segment, Segment.id == Prompt.segment_id)
        .where(Segment.project_id == project.id)
        .order_by(Prompt.order, Prompt.created_at, Prompt.id)
    ).all()
    published = dict(
        session.exec(
            select(VersionLabel.prompt_id, Version.version)
            .join(Version, Version.id == VersionLabel.version_id)
            .join(Prompt, Prompt.id == VersionLabel.prompt_id)
            .join(Segment, Segment.id == Prompt.segment_id)
            .where(Segment.project_id == project.id, VersionLabel.name == PRODUCTION_LABEL)
        ).all()
    )
    forked_from_name = None
    if project.forked_from_id is not None:
        origin = session.get(Project, project.forked_from_id)
        is_own = (
            principal is not None and origin is not None and origin.user_id == principal.user_id
        )
        if origin is not None and (origin.is_public or is_own):
            forked_from_name = origin.name
    by_segment: dict[uuid.UUID, list[PromptItem]] = {s.id: [] for s in segments}
    for p in prompts:
        by_segment[p.segment_id].append(
            PromptItem(
                id=str(p.id),
                name=p.name,
                order=p.order,
                content=p.content,
                revision=p.revision,
                updated_at=p.updated_at,
                published_version=published.get(p.id),
            )
        )
    return ProjectDetail(
        id=str(project.id),
        name=project.name,
        description=project.description,
        is_public=project.is_public,
        owner_id=str(project.user_id),
        owner_name=owner_name,
        is_owner=principal is not None and principal.user_id == project.user_id,
        fork_count=project.fork_count,
        forked_from_id=str(project.forked_from_id) if forked_from_name else None,
        forked_from_name=forked_from_name,
        created_at=project.created_at,
        updated_at=project.updated_at,
        segments=[
            SegmentDetail(id=str(s.id), name=s.name, order=s.order, prompts=by_segment[s.id])
            for s in segments
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
    _ensure_name_free(session, principal.user_id, name)
    plans.ensure_can_add_projects(session, principal.user_id)
    project = Project(
        user_id=principal.user_id, name=name, description=description, is_public=bool(is_public)
    )
    _flush_new_project(session, project)
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
    project = access.get_project(session, principal, project_id, write=True)
    changed = False
    if name is not None:
        new_name = clean_name(name, what="project")
        if new_name != project.name:
            _ensure_name_free(session, project.user_id, new_name, exclude=project.id)
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
    project = access.get_project(session, principal, project_id, write=True)
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


def _copy_content(
    session: Session, source: Project, target: Project, *, author_fallback: uuid.UUID
) -> int:
    """Copy `source`'s segments, prompts, validators and published versions into `target`.

    Four reads whatever the size of the project. Returns the number of prompts copied.
    """
    segments = session.exec(
        select(Segment)
        .where(Segment.project_id == source.id)
        .order_by(Segment.order, Segment.created_at, Segment.id)
    ).all()
    prompts = session.exec(
        select(Prompt)
        .join(Segment, Segment.id == Prompt.segment_id)
        .where(Segment.project_id == source.id)
        .order_by(Prompt.order, Prompt.created_at, Prompt.id)
    ).all()
    prompt_ids = [p.id for p in prompts]
    validators = (
        session.exec(
            select(Validator)
            .where(Validator.prompt_id.in_(prompt_ids))
            .order_by(Validator.order, Validator.created_at)
        ).all()
        if prompt_ids
        else []
    )
    published = (
        session.exec(
            select(VersionLabel, Version)
            .join(Version, Version.id == VersionLabel.version_id)
            .where(VersionLabel.prompt_id.in_(prompt_ids), VersionLabel.name == PRODUCTION_LABEL)
        ).all()
        if prompt_ids
        else []
    )
    segment_map: dict[uuid.UUID, uuid.UUID] = {}
    segment_rows: list = []
    for index, segment in enumerate(segments):
        copy = Segment(project_id=target.id, name=segment.name, order=index)
        segment_map[segment.id] = copy.id
        segment_rows.append(copy)
    prompt_rows: list = []
    prompt_map: dict[uuid.UUID, uuid.UUID] = {}
    counters: dict[uuid.UUID, int] = {}
    for prompt in prompts:
        order = counters.get(prompt.segment_id, 0)
        counters[prompt.segment_id] = order + 1
        copy = Prompt(
            segment_id=segment_map[prompt.segment_id],
            name=prompt.name,
            content=prompt.content,
            variables=dict(prompt.variables or {}),
            type=prompt.type,
            messages=list(prompt.messages or []),
            config=dict(prompt.config or {}),
            order=order,
        )
        prompt_map[prompt.id] = copy.id
        prompt_rows.append(copy)
    validator_rows: list = []
    for validator in validators:
        validator_rows.append(
            Validator(
                prompt_id=prompt_map[validator.prompt_id],
                type=validator.type,
                config=dict(validator.config or {}),
                order=validator.order,
            )
        )
    version_rows: list = []
    label_rows: list = []
    for label, version in published:
        new_version = Version(
            prompt_id=prompt_map[label.prompt_id],
            version=version.version,
            content=version.content,
            variables=dict(version.variables or {}),
            validators=list(version.validators or []),
            type=version.type,
            messages=list(version.messages or []),
            config=dict(version.config or {}),
            commit_message=version.commit_message,
            author_id=version.author_id or author_fallback,
            is_published=True,
        )
        version_rows.append(new_version)
        label_rows.append(
            VersionLabel(
                prompt_id=new_version.prompt_id,
                version_id=new_version.id,
                name=PRODUCTION_LABEL,
                updated_by=author_fallback,
            )
        )
    # The models declare no relationships, so the unit of work cannot order the inserts:
    # flush parents before children, level by level.
    for rows in (segment_rows, prompt_rows, validator_rows, version_rows, label_rows):
        if rows:
            session.add_all(rows)
            session.flush()
    return len(prompts)


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


def _count_source_prompts(session: Session, project_id: uuid.UUID) -> int:
    return session.execute(
        sa.select(sa.func.count(Prompt.id))
        .join(Segment, Segment.id == Prompt.segment_id)
        .where(Segment.project_id == project_id)
    ).scalar_one()


def duplicate_project(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    name: str | None = None,
) -> Project:
    """Copy one of the principal's own projects (content and published versions), private.

    The copy is named `name` or "<name> (copy)"; plan limits apply to it like to any new
    project, and nothing is created when they refuse.
    """
    source = access.get_project(session, principal, project_id, write=True)
    principal = require_write(principal)
    lock_user(session, principal.user_id)
    if name is not None:
        new_name = clean_name(name, what="project")
        _ensure_name_free(session, principal.user_id, new_name)
    else:
        new_name = available_name(session, principal.user_id, source.name, "copy")
    plans.ensure_can_add_projects(session, principal.user_id)
    plans.ensure_can_add_prompts(
        session, principal.user_id, _count_source_prompts(session, source.id)
    )
    copy = Project(
        user_id=principal.user_id,
        name=new_name,
        description=source.description,
        is_public=False,
    )
    _flush_new_project(session, copy)
    _copy_content(session, source, copy, author_fallback=principal.user_id)
    project_changed(session, copy, kind="created")
    audit.record(
        session, principal.user_id, "project.duplicate", "project", copy.id, source=str(source.id)
    )
    return copy


def fork_project(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    name: str | None = None,
) -> Project:
    """Fork someone else's public project into the principal's account.

    Copies segments, prompts (content and variables), validators and each prompt's published
    version (the one labelled `production`, with that label); records `forked_from_id` and
    adds one to the original's `fork_count`. Plan limits apply; nothing is half-created.
    """
    principal = require_write(principal)
    source = access.get_project(session, principal, project_id)
    if source.user_id == principal.user_id:
        raise Conflict("This project is already yours: duplicate it instead of forking it.")
    lock_user(session, principal.user_id)
    new_name = (
        clean_name(name, what="project")
        if name is not None
        else available_name(session, principal.user_id, source.name, "fork")
    )
    if name is not None:
        _ensure_name_free(session, principal.user_id, new_name)
    plans.ensure_can_add_projects(session, principal.user_id)
    plans.ensure_can_add_prompts(
        session, principal.user_id, _count_source_prompts(session, source.id)
    )
    fork = Project(
        user_id=principal.user_id,
        name=new_name,
        description=source.description,
        is_public=False,
        forked_from_id=source.id,
    )
    _flush_new_project(session, fork)
    _copy_content(session, source, fork, author_fallback=principal.user_id)
    refresh_fork_count(session, source.id)
    session.refresh(source, ["fork_count"])
    project_changed(session, fork, kind="created")
    project_changed(session, source, kind="forked", touch=False)
    audit.record(
        session, principal.user_id, "project.fork", "project", fork.id, source=str(source.id)
    )
    return fork


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
    "duplicate_project",
    "fork_project",
    "get_project_detail",
    "list_projects",
    "list_public_projects",
    "lock_project",
    "update_project",
]
