"""Copies of a project: duplicate one's own, fork someone else's public one. A copy carries
segments, prompts, validators and each prompt's published version with its label; plan
limits apply to it like to any new project, and nothing is half-created."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from promptrepo.models import (
    PRODUCTION_LABEL,
    Project,
    Prompt,
    Segment,
    Validator,
    Version,
    VersionLabel,
)
from promptrepo.services import access, audit, plans
from promptrepo.services.changes import project_changed
from promptrepo.services.errors import Conflict, PermissionDenied
from promptrepo.services.ordering import clean_name, lock_user
from promptrepo.services.principal import Principal, require_write
from promptrepo.services.project_tree import load_project_tree
from promptrepo.services.projects import (
    available_name,
    ensure_name_free,
    flush_new_project,
    refresh_fork_count,
)


def _copy_content(
    session: Session, source: Project, target: Project, *, author_fallback: uuid.UUID
) -> int:
    """Copy `source`'s segments, prompts, validators and published versions into `target`.

    Four reads whatever the size of the project. Returns the number of prompts copied.
    """
    tree = load_project_tree(session, source, validators=True, published="versions")
    segments, prompts = tree.segments, tree.prompts
    validators, published = tree.validators, tree.published_versions
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
            template_dialect=prompt.template_dialect,
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
            template_dialect=version.template_dialect,
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
    source = access.get_project(session, principal, project_id, need="manage")
    principal = require_write(principal)
    lock_user(session, principal.user_id)
    if name is not None:
        new_name = clean_name(name, what="project")
        ensure_name_free(session, principal.user_id, new_name)
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
    flush_new_project(session, copy)
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
    if not source.is_public:  # a member of a private project may read it, not copy it out
        raise PermissionDenied("Only public projects can be forked.")
    lock_user(session, principal.user_id)
    new_name = (
        clean_name(name, what="project")
        if name is not None
        else available_name(session, principal.user_id, source.name, "fork")
    )
    if name is not None:
        ensure_name_free(session, principal.user_id, new_name)
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
    flush_new_project(session, fork)
    _copy_content(session, source, fork, author_fallback=principal.user_id)
    refresh_fork_count(session, source.id)
    session.refresh(source, ["fork_count"])
    project_changed(session, fork, kind="created")
    project_changed(session, source, kind="forked", touch=False)
    audit.record(
        session, principal.user_id, "project.fork", "project", fork.id, source=str(source.id)
    )
    return fork
