"""/api/v1/public: the gallery of public projects, readable without authentication."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from promptrepo.api.deps import OptionalPrincipal, SessionDep
from promptrepo.api.pagination import PAGINATION_DOC, Page, PageDep, paginate_pages
from promptrepo.services import gallery, projects
from promptrepo.services.projects import ProjectDetail, ProjectSummary

router = APIRouter(prefix="/api/v1/public", tags=["public gallery"])


@router.get(
    "/projects",
    response_model=Page[ProjectSummary],
    summary="List public projects",
    description=PAGINATION_DOC,
)
def list_public_projects(
    session: SessionDep,
    _caller: OptionalPrincipal,
    page: PageDep,
    search: Annotated[
        str, Query(max_length=100, description="Part of the name or description.")
    ] = "",
    sort: Literal["popular", "updated", "name"] = "popular",
) -> dict:
    """Every user's public projects with their owner's name, most forked first."""

    def fetch(number: int, per_page: int):
        result = gallery.list_public_projects(
            session, search=search, sort=sort, page=number, per_page=per_page
        )
        return result.items, result.total

    return paginate_pages(page, fetch, lambda item: item)


@router.get("/projects/{project_id}", response_model=ProjectDetail, summary="Read a public project")
def get_public_project(project_id: uuid.UUID, session: SessionDep, _caller: OptionalPrincipal):
    """A public project with its segments and prompts; a private one is 404 for everyone here."""
    return projects.get_project_detail(session, None, project_id)
