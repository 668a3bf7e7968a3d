"""PostgreSQL row-level security on the label history (`label_events`, migration 0006):
readers of a project read its history, only the owner adds to it, nobody rewrites it."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session, select

from promptrepo.db import act_as
from promptrepo.models import LabelEvent, Project, Prompt, Segment
from tests.conftest import truncate_all
from tests.factories import make_user


@pytest.fixture
def pg(pg_engine: Engine) -> Engine:
    truncate_all(pg_engine)
    return pg_engine


@pytest.fixture
def world(pg: Engine):
    with Session(pg, expire_on_commit=False) as s:
        owner = make_user(s, name="Owner")
        outsider = make_user(s, name="Outsider")
        prompts = {}
        for name, public in (("Private", False), ("Public", True)):
            project = Project(user_id=owner.user_id, name=name, is_public=public)
            s.add(project)
            s.flush()
            segment = Segment(project_id=project.id, name="S")
            s.add(segment)
            s.flush()
            prompt = Prompt(segment_id=segment.id, name=name, content="x")
            s.add(prompt)
            s.flush()
            s.add(LabelEvent(prompt_id=prompt.id, label="production", to_version=1, reason=name))
            prompts[name] = prompt
        s.commit()
    return owner, outsider, prompts


def reasons(session: Session) -> set[str]:
    return {e.reason for e in session.exec(select(LabelEvent)).all()}


def test_history_is_read_like_the_project(pg: Engine, world) -> None:
    owner, outsider, _ = world
    with Session(pg) as s:
        act_as(s, owner.user_id)
        assert reasons(s) == {"Private", "Public"}
    with Session(pg) as s:
        act_as(s, outsider.user_id)
        assert reasons(s) == {"Public"}
    with Session(pg) as s:
        act_as(s, None)
        assert reasons(s) == {"Public"}


def test_outsider_cannot_add_to_anothers_history(pg: Engine, world) -> None:
    _, outsider, prompts = world
    with Session(pg) as s:
        act_as(s, outsider.user_id)
        s.add(LabelEvent(prompt_id=prompts["Public"].id, label="production", to_version=2))
        with pytest.raises(ProgrammingError, match="row-level security"):
            s.flush()


def test_nobody_rewrites_history_even_the_owner(pg: Engine, world) -> None:
    owner, _, prompts = world
    with Session(pg) as s:
        act_as(s, owner.user_id)
        s.add(LabelEvent(prompt_id=prompts["Private"].id, label="staging", to_version=1))
        s.flush()  # the owner adds to the history
        s.commit()
        act_as(s, owner.user_id)
        # The app role is granted no UPDATE on this append-only table (alembic 0005), so the
        # rewrite is refused outright; the RLS policy (no UPDATE policy) is the second line.
        with pytest.raises(ProgrammingError, match="permission denied"):
            s.execute(text("UPDATE label_events SET reason = 'rewritten'"))
        s.rollback()
    with Session(pg) as s:
        assert "rewritten" not in reasons(s)
