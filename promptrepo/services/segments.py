"""Segments: the ordered parts of a project, each holding prompts in order.

`order` stays 0..n-1 without gaps or duplicates: every change locks the project's row and
renumbers the siblings in the same transaction (see services/ordering.py).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session, select

from promptrepo.models import Prompt, Segment
from promptrepo.services import access, audit
from promptrepo.services.changes import project_changed
from promptrepo.services.errors import NotFound
from promptrepo.services.ordering import (
    clamp_index,
    clean_name,
    lock_project,
    renumber,
    segments_in_order,
)
from promptrepo.services.principal import Principal


def list_segments(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> list[Segment]:
    """The project's segments in order (readable by the owner, or anyone when public)."""
    project = access.get_project(session, principal, project_id)
    return segments_in_order(session, project.id)


def create_segment(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    name: str,
    index: int | None = None,
) -> Segment:
    """Add a segment named `name` at `index` (default: the end) of the principal's project."""
    project = access.get_project(session, principal, project_id, write=True)
    name = clean_name(name, what="segment")
    project = lock_project(session, project.id)
    siblings = segments_in_order(session, project.id)
    segment = Segment(project_id=project.id, name=name, order=len(siblings))
    position = len(siblings) if index is None else clamp_index(index, len(siblings))
    siblings.insert(position, segment)
    session.add(segment)
    renumber(session, siblings)
    project_changed(session, project)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "segment.created",
        "project",
        project.id,
        segment_id=str(segment.id),
        name=name,
    )
    return segment


def rename_segment(
    session: Session, principal: Principal | None, segment_id: uuid.UUID | str, name: str
) -> Segment:
    """Rename a segment of the principal's project (1–100 characters after trimming)."""
    segment, project = access.get_segment(session, principal, segment_id, write=True)
    name = clean_name(name, what="segment")
    project = lock_project(session, project.id)
    segment = session.exec(
        select(Segment).where(Segment.id == segment.id).execution_options(populate_existing=True)
    ).first()
    if segment is None:  # deleted by another tab meanwhile
        raise NotFound("Segment not found.")
    old_name = segment.name
    segment.name = name
    session.add(segment)
    project_changed(session, project)
    if name != old_name:
        audit.record(
            session,
            principal.user_id,
            "segment.renamed",
            "project",
            project.id,
            segment_id=str(segment.id),
            name=name,
            old_name=old_name,
        )
    session.flush()
    return segment


def move_segment(
    session: Session, principal: Principal | None, segment_id: uuid.UUID | str, new_index: int
) -> Segment:
    """Move a segment to position `new_index` (clamped; -1 is the end) within its project."""
    segment, project = access.get_segment(session, principal, segment_id, write=True)
    project = lock_project(session, project.id)
    siblings = segments_in_order(session, project.id)
    current = next((s for s in siblings if s.id == segment.id), None)
    if current is None:  # deleted by another tab meanwhile
        raise NotFound("Segment not found.")
    old_index = siblings.index(current)
    siblings.remove(current)
    position = clamp_index(new_index, len(siblings))
    siblings.insert(position, current)
    renumber(session, siblings)
    project_changed(session, project)
    if position != old_index:
        audit.record(
            session,
            principal.user_id,
            "segment.moved",
            "project",
            project.id,
            segment_id=str(current.id),
            name=current.name,
            position=position + 1,
        )
    session.flush()
    return current


def delete_segment(
    session: Session, principal: Principal | None, segment_id: uuid.UUID | str
) -> None:
    """Delete a segment and its prompts; the remaining segments close the gap."""
    segment, project = access.get_segment(session, principal, segment_id, write=True)
    project = lock_project(session, project.id)
    prompt_count = session.execute(
        sa.select(sa.func.count()).select_from(Prompt).where(Prompt.segment_id == segment.id)
    ).scalar_one()
    session.execute(sa.delete(Segment).where(Segment.id == segment.id))
    session.expunge(segment)
    renumber(session, segments_in_order(session, project.id))
    project_changed(session, project)
    # About the project, not the segment: the entry outlives what it tells of.
    audit.record(
        session,
        principal.user_id,
        "segment.deleted",
        "project",
        project.id,
        segment_id=str(segment.id),
        name=segment.name,
        prompts=prompt_count,
    )
    session.flush()
