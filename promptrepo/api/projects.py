"""/api/v1/projects: the caller's projects (list, create, read, update, delete) and forks."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.pagination import PAGINATION_DOC, Page, PageDep, paginate_pages
from promptrepo.api.schemas import (
    ProjectCreate,
    ProjectFork,
    ProjectOut,
    ProjectRenderIn,
    ProjectRenderOut,
    ProjectUpdate,
)
from promptrepo.services import forks, projects, render_pool, reviews, serving, versions
from promptrepo.services.errors import NotFound, ValidationFailed
from promptrepo.services.projects import ProjectDetail, ProjectSummary

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])

SearchQuery = Annotated[str, Query(max_length=100, description="Part of the name.")]


@router.get(
    "",
    response_model=Page[ProjectSummary],
    summary="List your projects",
    description=PAGINATION_DOC,
)
def list_projects(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    search: SearchQuery = "",
    sort: Literal["updated", "name"] = "updated",
) -> dict:
    """Your projects with their segment and prompt counts, most recently changed first
    (`sort=name` for A→Z)."""

    def fetch(number: int, per_page: int):
        result = projects.list_projects(
            session, principal, search=search, sort=sort, page=number, per_page=per_page
        )
        return result.items, result.total

    return paginate_pages(page, fetch, lambda item: item)


@router.post(
    "", response_model=ProjectOut, status_code=status.HTTP_201_CREATED, summary="Create a project"
)
def create_project(body: ProjectCreate, session: SessionDep, principal: WritePrincipal):
    """Create an empty project. 409 if you already have one of that name; 402 over the plan's
    project limit."""
    return projects.create_project(
        session, principal, name=body.name, description=body.description, is_public=body.is_public
    )


@router.get("/{project_id}", response_model=ProjectDetail, summary="Read a project")
def get_project(project_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    """The project with its segments and prompts in order (yours, or anyone's public one)."""
    return projects.get_project_detail(session, principal, project_id)


@router.patch("/{project_id}", response_model=ProjectOut, summary="Update a project")
def update_project(
    project_id: uuid.UUID, body: ProjectUpdate, session: SessionDep, principal: WritePrincipal
):
    """Rename it, change its description, make it public/private, or turn "production needs
    review" on/off (only the fields sent; the owner only)."""
    project = projects.update_project(
        session,
        principal,
        project_id,
        name=body.name,
        description=body.description,
        is_public=body.is_public,
    )
    if body.production_needs_review is not None:
        project = reviews.set_review_required(
            session, principal, project_id, body.production_needs_review
        )
    return project


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a project")
def delete_project(project_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    """Delete the project with its segments, prompts, validators and versions."""
    projects.delete_project(session, principal, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{project_id}/fork",
    response_model=ProjectOut,
    status_code=status.HTTP_201_CREATED,
    summary="Fork a public project",
)
def fork_project(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: WritePrincipal,
    body: ProjectFork | None = None,
):
    """Copy someone's public project (segments, prompts, validators, published versions) into
    your account; the original's fork count grows by one."""
    return forks.fork_project(session, principal, project_id, name=body.name if body else None)


@router.post(
    "/{project_id}/render",
    response_model=ProjectRenderOut,
    summary="Render the whole project",
)
def render_project(
    project_id: uuid.UUID, body: ProjectRenderIn, session: SessionDep, principal: CurrentPrincipal
) -> dict:
    """Every prompt's version under `label` (default `production`), in segment and prompt
    order, rendered with the same `variables` and joined by blank lines. Prompts without a
    version under the label are listed in `skipped`. A missing or mistyped variable is 422, and
    so is a template past a render limit; all prompts share one time budget (1 s by default)."""
    label, _ = serving.selector(body.label, None)
    detail = projects.get_project_detail(session, principal, project_id)
    deadline = render_pool.shared_deadline("The project")  # one budget for all its prompts
    parts: list[dict] = []
    skipped: list[dict] = []
    for segment in detail.segments:
        for item in segment.prompts:
            try:
                resolved = versions.resolve(session, principal, item.id, label=label)
            except NotFound as exc:
                skipped.append(
                    {
                        "segment": segment.name,
                        "prompt": item.name,
                        "prompt_id": item.id,
                        "reason": exc.message,
                    }
                )
                continue
            try:
                text = versions.render_body(  # chat prompts: `role: content` blocks
                    resolved.type,
                    resolved.content,
                    resolved.messages,
                    resolved.variables,
                    [],
                    body.variables,
                    None,
                    resolved.template_dialect,
                    deadline=deadline,
                ).text
            except ValidationFailed as exc:
                raise ValidationFailed(
                    f"{segment.name} / {item.name}: {exc.message}", errors=exc.errors
                ) from None
            parts.append(
                {
                    "segment": segment.name,
                    "segment_id": segment.id,
                    "prompt": item.name,
                    "prompt_id": item.id,
                    "version": resolved.version,
                    "text": text,
                }
            )
    text = "\n\n".join(p["text"].strip("\n") for p in parts if p["text"].strip())
    return {"text": text, "parts": parts, "skipped": skipped}
