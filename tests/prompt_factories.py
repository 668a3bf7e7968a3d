"""Builders for a project → segment → prompt: `make_prompt` writes straight to the database,
`make_support_bot` goes through the services (versions, label, history)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from promptrepo.models import Project, Prompt, Segment
from promptrepo.services import drafts, projects, prompts, segments, versions
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


def make_support_bot(session: Session, owner: Principal) -> tuple[Project, Prompt]:
    """The browser tests' "Support bot" project: its prompt Greeting has v1 ("Hello."), live
    in production, and v2 ("Hello there."), not live yet. Committed."""
    project = projects.create_project(session, owner, name="Support bot")
    segment = segments.create_segment(session, owner, project.id, name="Intro")
    prompt = prompts.create_prompt(session, owner, segment.id, name="Greeting", content="Hello.")
    versions.create_version(session, owner, prompt.id, commit_message="first")
    versions.set_label(session, owner, prompt.id, "production", 1, reason="launch")
    drafts.save_draft(session, owner, prompt.id, base_revision=1, content="Hello there.")
    versions.create_version(session, owner, prompt.id, commit_message="friendlier")
    session.commit()
    return project, prompt
