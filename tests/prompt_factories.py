"""Builders for a project → segment → prompt, written straight to the database."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from promptrepo.models import Project, Prompt, Segment
from promptrepo.services.principal import Principal


def make_prompt(
    session: Session,
    owner: Principal,
    *,
    content: str = "",
    name: str = "Greeting",
    variables: dict[str, Any] | None = None,
    is_public: bool = False,
    project_name: str | None = None,
) -> tuple[Project, Prompt]:
    project = Project(
        user_id=owner.user_id,
        name=project_name or f"Project of {owner.email}",
        is_public=is_public,
    )
    session.add(project)
    session.flush()
    segment = Segment(project_id=project.id, name="Main")
    session.add(segment)
    session.flush()
    prompt = Prompt(segment_id=segment.id, name=name, content=content, variables=variables or {})
    session.add(prompt)
    session.commit()
    return project, prompt
