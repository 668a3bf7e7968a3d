"""Row-level security on the playground's tables (PostgreSQL only): provider connections and
prices are their user's alone, runs are the project owner's, test cases and their results are
readable where the prompt is."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from promptrepo.db import act_as
from promptrepo.models import (
    ModelPrice,
    PlaygroundRun,
    Project,
    Prompt,
    ProviderConnection,
    Segment,
    TestCase,
    TestRun,
)
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
        private = Project(user_id=owner.user_id, name="Private")
        public = Project(user_id=owner.user_id, name="Public", is_public=True)
        s.add_all([private, public])
        s.flush()
        prompts = []
        for project in (private, public):
            segment = Segment(project_id=project.id, name="S")
            s.add(segment)
            s.flush()
            prompt = Prompt(segment_id=segment.id, name=project.name)
            s.add(prompt)
            s.flush()
            s.add(TestCase(prompt_id=prompt.id, name="case"))
            s.add(TestRun(prompt_id=prompt.id, provider="echo"))
            s.add(PlaygroundRun(prompt_id=prompt.id, user_id=owner.user_id, provider="echo"))
            prompts.append(prompt)
        s.add(
            ProviderConnection(
                user_id=owner.user_id, name="Mine", base_url="http://x", api_key_encrypted="k"
            )
        )
        s.add(ModelPrice(user_id=owner.user_id, model="m"))
        s.commit()
    return owner, outsider, prompts


def count(session: Session, model) -> int:
    return len(session.exec(select(model)).all())


def test_the_owner_sees_everything_of_theirs(pg: Engine, world) -> None:
    owner, _, _ = world
    with Session(pg) as s:
        act_as(s, owner.user_id)
        assert count(s, ProviderConnection) == 1 and count(s, ModelPrice) == 1
        assert count(s, PlaygroundRun) == 2
        assert count(s, TestCase) == 2 and count(s, TestRun) == 2


def test_an_outsider_sees_only_public_cases_and_no_keys_or_runs(pg: Engine, world) -> None:
    _, outsider, _ = world
    with Session(pg) as s:
        act_as(s, outsider.user_id)
        assert count(s, ProviderConnection) == 0 and count(s, ModelPrice) == 0
        assert count(s, PlaygroundRun) == 0  # runs are the owner's, even on a public project
        assert count(s, TestCase) == 1 and count(s, TestRun) == 1  # the public prompt's


def test_an_outsider_cannot_write_cases_or_steal_connections_with_raw_sql(
    pg: Engine, world
) -> None:
    owner, outsider, prompts = world
    with Session(pg) as s:
        act_as(s, outsider.user_id)
        updated = s.execute(text("UPDATE provider_connections SET name = 'pwned'"))
        deleted = s.execute(text("DELETE FROM test_cases"))
        assert (updated.rowcount, deleted.rowcount) == (0, 0)
        with pytest.raises(Exception, match="row-level security"):
            s.add(TestCase(prompt_id=prompts[1].id, name="injected"))
            s.flush()
        s.rollback()
    with Session(pg) as s:
        assert count(s, TestCase) == 2
        assert s.exec(select(ProviderConnection.name)).one() == "Mine"
