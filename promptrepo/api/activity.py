"""/api/v1/projects/{project_id}/activity: who changed what, when (services/activity.py); and
`activity.csv`, the Enterprise plan's audit log export."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from promptrepo.api.deps import CurrentPrincipal, SessionDep
from promptrepo.api.pagination import PAGINATION_DOC, Page, PageDep, paginate_pages
from promptrepo.services import activity

router = APIRouter(prefix="/api/v1/projects", tags=["activity"])


class ActivityOut(BaseModel):
    at: datetime
    actor_id: str | None
    actor_name: str
    kind: str
    action: str
    prompt_id: str | None
    prompt_name: str
    summary: str


Actor = Annotated[uuid.UUID | None, Query(description="Only what this person did (their id).")]
Kind = Annotated[
    str | None, Query(description="Only this kind: " + ", ".join(activity.KINDS) + ".")
]
Since = Annotated[date | None, Query(description="From this day (UTC, inclusive).")]
Until = Annotated[date | None, Query(description="To this day (UTC, inclusive).")]


@router.get(
    "/{project_id}/activity",
    response_model=Page[ActivityOut],
    summary="A project's activity",
    description="Who changed what, when: draft edits, versions, label moves (publish, roll "
    "back), validators, tests, tags and project settings, newest first. The project's owner "
    "and members (404 for anyone else, public project or not). " + PAGINATION_DOC,
)
def list_activity(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    actor: Actor = None,
    kind: Kind = None,
    since: Since = None,
    until: Until = None,
) -> dict:
    filters = activity.parse_filters(
        actor=str(actor) if actor else None, kind=kind, since=since, until=until
    )

    def fetch(number: int, per_page: int):
        result = activity.list_activity(
            session, principal, project_id, filters, page=number, per_page=per_page
        )
        return result.items, result.total

    return paginate_pages(page, fetch, lambda e: ActivityOut(**e.__dict__))


@router.get(
    "/{project_id}/activity.csv",
    summary="Export a project's activity as CSV (Enterprise)",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The activity, newest first."},
        402: {"description": "Not on the Enterprise plan."},
    },
)
def export_activity(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    actor: Actor = None,
    kind: Kind = None,
    since: Since = None,
    until: Until = None,
) -> Response:
    """The same entries and filters as `…/activity`, all of them, as CSV (the Enterprise
    plan's audit log export; 402 on other plans)."""
    filters = activity.parse_filters(
        actor=str(actor) if actor else None, kind=kind, since=since, until=until
    )
    text = activity.export_csv(session, principal, project_id, filters)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="activity-{project_id}.csv"',
            "Cache-Control": "no-store",
        },
    )
