"""The project services work under PostgreSQL row-level security, as the UI runs them.

Every transaction here is opened the way the states open theirs (`session_scope(acting_as=
principal)`): the database itself then hides other users' private rows. Forks must still
count on the original (someone else's row) through `app_refresh_fork_count`.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from promptrepo.models import Project
from promptrepo.services import forks, gallery, projects, prompts, segments, transfer
from promptrepo.services.errors import NotFound
from promptrepo.services.principal import Principal
from tests.conftest import truncate_all
from tests.factories import make_user
from tests.rls import acting


@pytest.fixture
def pg(pg_engine: Engine) -> Engine:
    truncate_all(pg_engine)
    return pg_engine


@pytest.fixture
def users(pg: Engine) -> tuple[Principal, Principal]:
    with Session(pg, expire_on_commit=False) as s:
        alice, bob = make_user(s, name="Alice"), make_user(s, name="Bob")
        s.commit()
    return alice, bob


def test_owner_builds_reorders_and_reads_a_project_under_rls(pg: Engine, users) -> None:
    alice, _ = users
    with acting(pg, alice) as s:
        project = projects.create_project(s, alice, name="Mine")
        a = segments.create_segment(s, alice, project.id, name="A")
        b = segments.create_segment(s, alice, project.id, name="B")
        p1 = prompts.create_prompt(s, alice, a.id, name="p1", content="one")
        prompts.create_prompt(s, alice, a.id, name="p2", content="two")
    with acting(pg, alice) as s:
        prompts.move_prompt(s, alice, p1.id, segment_id=b.id, new_index=0)
        segments.move_segment(s, alice, b.id, 0)
    with acting(pg, alice) as s:
        assert projects.compose_project(s, alice, project.id) == "one\n\ntwo"
        page = projects.list_projects(s, alice)
        assert (page.total, page.items[0].segment_count, page.items[0].prompt_count) == (1, 2, 2)
        copy = forks.duplicate_project(s, alice, project.id)
    with acting(pg, alice) as s:
        text = transfer.export_project(s, alice, copy.id, "json")
        imported = transfer.import_project(s, alice, text)
    with acting(pg, alice) as s:
        assert (
            json.loads(transfer.export_project(s, alice, imported.id, "json"))["segments"]
            == (json.loads(text)["segments"])
        )
        projects.delete_project(s, alice, imported.id)
    with acting(pg, alice) as s:
        assert projects.list_projects(s, alice).total == 2


def test_fork_counts_on_someone_elses_project_under_rls(pg: Engine, users) -> None:
    alice, bob = users
    with acting(pg, alice) as s:
        original = projects.create_project(s, alice, name="Shared", is_public=True)
        seg = segments.create_segment(s, alice, original.id, name="S")
        prompts.create_prompt(s, alice, seg.id, name="p", content="hello")
    with acting(pg, bob) as s:
        fork = forks.fork_project(s, bob, original.id)
        second = forks.fork_project(s, bob, original.id)
    with acting(pg, None) as s:
        public = gallery.list_public_projects(s)
        assert [(p.name, p.owner_name, p.fork_count) for p in public.items] == [
            ("Shared", "Alice", 2)
        ]
    with acting(pg, bob) as s:
        assert projects.compose_project(s, bob, fork.id) == "hello"
        assert projects.get_project_detail(s, bob, fork.id).forked_from_name == "Shared"
        projects.delete_project(s, bob, second.id)
    with Session(pg) as s:
        assert s.get(Project, original.id).fork_count == 1


def test_outsider_sees_nothing_private_under_rls(pg: Engine, users) -> None:
    alice, bob = users
    with acting(pg, alice) as s:
        private = projects.create_project(s, alice, name="Private")
    for who in (bob, None):
        with acting(pg, who) as s:
            with pytest.raises(NotFound):
                projects.get_project_detail(s, who, private.id)
            assert gallery.list_public_projects(s).total == 0
            assert s.exec(select(func.count()).select_from(Project)).one() == 0
