"""A project's `updated_at` orders "recently updated" lists: every change moves it, except
that draft saves (autosave, every pause in typing) move it at most once a
DRAFT_TOUCH_SECONDS. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from promptrepo.models import Project, utcnow
from promptrepo.services import drafts, projects, prompts, segments, versions
from promptrepo.services.changes import DRAFT_TOUCH_SECONDS
from tests.factories import make_user


def _updated_at(session: Session, project_id):
    session.expire_all()
    return session.get(Project, project_id).updated_at


def _age(session: Session, project_id, seconds: float) -> None:
    """Make the project's last change `seconds` old."""
    project = session.get(Project, project_id)
    project.updated_at = utcnow() - timedelta(seconds=seconds)
    session.add(project)
    session.commit()


def test_draft_saves_move_updated_at_once_a_while_other_changes_every_time(
    session: Session,
) -> None:
    owner = make_user(session)
    project = projects.create_project(session, owner, name="Support")
    segment = segments.create_segment(session, owner, project.id, name="Main")
    prompt = prompts.create_prompt(session, owner, segment.id, name="Reply", content="Hi")
    session.commit()

    # A save soon after the last change leaves the time (and the row) as it is.
    _age(session, project.id, 5)
    before = _updated_at(session, project.id)
    saved = drafts.save_draft(session, owner, prompt.id, base_revision=prompt.revision, content="A")
    session.commit()
    assert _updated_at(session, project.id) == before

    # Once the last change is older than the interval, the next save moves it.
    _age(session, project.id, DRAFT_TOUCH_SECONDS + 1)
    started = utcnow()
    saved = drafts.save_draft(session, owner, prompt.id, base_revision=saved.revision, content="B")
    session.commit()
    assert _updated_at(session, project.id) >= started

    # Any other change moves it every time.
    _age(session, project.id, 5)
    started = utcnow()
    versions.create_version(session, owner, prompt.id, commit_message="first")
    session.commit()
    assert _updated_at(session, project.id) >= started
