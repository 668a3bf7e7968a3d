"""Segments: /api/v1/projects/{project_id}/segments and /api/v1/segments/{segment_id}."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.pagination import PAGINATION_DOC, Page, PageDep, paginate_list
from promptrepo.api.schemas import SegmentCreate, SegmentOut, SegmentUpdate
from promptrepo.services import segments

router = APIRouter(prefix="/api/v1", tags=["segments"])


@router.get(
    "/projects/{project_id}/segments",
    response_model=Page[SegmentOut],
    summary="List a project's segments",
    description=PAGINATION_DOC,
)
def list_segments(
    project_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> dict:
    """The project's segments in order."""
    rows = segments.list_segments(session, principal, project_id)
    return paginate_list(page, rows, SegmentOut.model_validate)


@router.post(
    "/projects/{project_id}/segments",
    response_model=SegmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a segment",
)
def create_segment(
    project_id: uuid.UUID, body: SegmentCreate, session: SessionDep, principal: WritePrincipal
):
    """Add a segment at `position` (default: the end)."""
    return segments.create_segment(
        session, principal, project_id, name=body.name, index=body.position
    )


@router.patch(
    "/segments/{segment_id}", response_model=SegmentOut, summary="Rename or move a segment"
)
def update_segment(
    segment_id: uuid.UUID, body: SegmentUpdate, session: SessionDep, principal: WritePrincipal
):
    """Rename the segment and/or move it to `position` among its project's segments."""
    segment = None
    if body.name is not None:
        segment = segments.rename_segment(session, principal, segment_id, body.name)
    if body.position is not None:
        segment = segments.move_segment(session, principal, segment_id, body.position)
    if segment is None:
        from promptrepo.services import access

        segment, _ = access.get_segment(session, principal, segment_id, write=True)
    return segment


@router.delete(
    "/segments/{segment_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a segment"
)
def delete_segment(segment_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    """Delete the segment and its prompts."""
    segments.delete_segment(session, principal, segment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
