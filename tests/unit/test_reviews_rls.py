"""Reviewed releases under PostgreSQL row-level security (migration 0019), as the app logs in
(`promptrepo_user`) with raw SQL, so the policies stand on their own behind the services:
- `release_proposals`: the project's team reads them; owners and editors add them as
  themselves and decide them; viewers and outsiders can do neither;
- `notifications`: each person reads and marks only their own; a team member may notify
  another person of the same project, never someone outside it.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from promptrepo.db import act_as
from promptrepo.models import Notification, Project, ProjectMember, Prompt, ReleaseProposal, Segment
from tests.conftest import truncate_all
from tests.factories import make_user


@pytest.fixture
def world(pg_engine: Engine):
    truncate_all(pg_engine)
    with Session(pg_engine, expire_on_commit=False) as s:
        owner, editor, viewer, outsider = (
            make_user(s, name=n) for n in ("Owner", "Editor", "Viewer", "Outsider")
        )
        project = Project(user_id=owner.user_id, name="Team")
        s.add(project)
        s.flush()
        for who, role in ((editor, "editor"), (viewer, "viewer")):
            s.add(ProjectMember(project_id=project.id, user_id=who.user_id, role=role))
        segment = Segment(project_id=project.id, name="S")
        s.add(segment)
        s.flush()
        prompt = Prompt(segment_id=segment.id, name="p", content="x")
        s.add(prompt)
        s.flush()
        proposal = ReleaseProposal(
            prompt_id=prompt.id, label="production", to_version=1, proposer_id=editor.user_id
        )
        s.add(proposal)
        s.add(
            Notification(user_id=owner.user_id, project_id=project.id, kind="k", text="for owner")
        )
        s.commit()
    people = {"owner": owner, "editor": editor, "viewer": viewer, "outsider": outsider}
    return people, project, prompt, proposal


def _run(app: Engine, who, sql: str, params: dict) -> int:
    """Rows one statement reached as `who` (0 when the database refused it)."""
    with Session(app) as s:
        act_as(s, who.user_id)
        try:
            result = s.execute(text(sql), params)
            count = result.rowcount if result.returns_rows is False else len(result.all())
        except DBAPIError:
            return 0
        finally:
            s.rollback()
    return count


def test_the_team_reads_proposals_and_only_owners_and_editors_decide(
    pg_app_engine: Engine, world
) -> None:
    people, project, prompt, proposal = world
    params = {"id": proposal.id, "prompt": prompt.id}
    read = "SELECT id FROM release_proposals WHERE id = :id"
    decide = "UPDATE release_proposals SET status = 'rejected' WHERE id = :id"
    for who, reads, decides in (
        ("owner", 1, 1),
        ("editor", 1, 1),
        ("viewer", 1, 0),
        ("outsider", 0, 0),
    ):
        assert _run(pg_app_engine, people[who], read, params) == reads, who
        assert _run(pg_app_engine, people[who], decide, params) == decides, who


@pytest.mark.parametrize(("who", "allowed"), [("editor", 1), ("viewer", 0), ("outsider", 0)])
def test_only_owners_and_editors_propose_and_only_as_themselves(
    pg_app_engine: Engine, world, who: str, allowed: int
) -> None:
    people, _, prompt, _ = world
    insert = (
        "INSERT INTO release_proposals (id, prompt_id, label, arms, base, message, proposer_id, "
        "status, decision_reason, created_at) VALUES (:id, :prompt, 'production', '[]', '', '', "
        ":proposer, 'open', '', now())"
    )
    me = people[who].user_id
    params = {"id": uuid.uuid4(), "prompt": prompt.id, "proposer": me}
    assert _run(pg_app_engine, people[who], insert, params) == allowed
    forged = {**params, "id": uuid.uuid4(), "proposer": people["owner"].user_id}
    assert _run(pg_app_engine, people[who], insert, forged) == 0  # never in someone's name


def test_notifications_are_their_recipients_and_go_only_to_teammates(
    pg_app_engine: Engine, world
) -> None:
    people, project, *_ = world
    mine = "SELECT id FROM notifications"
    assert _run(pg_app_engine, people["owner"], mine, {}) == 1
    for who in ("editor", "viewer", "outsider"):
        assert _run(pg_app_engine, people[who], mine, {}) == 0, who
        mark = "UPDATE notifications SET read_at = now()"
        assert _run(pg_app_engine, people[who], mark, {}) == 0, who
    insert = (
        "INSERT INTO notifications (id, user_id, project_id, kind, text, link, created_at) "
        "VALUES (gen_random_uuid(), :to, :project, 'k', 'hi', '', now())"
    )
    to = {"project": project.id}
    assert _run(pg_app_engine, people["editor"], insert, {**to, "to": people["owner"].user_id}) == 1
    assert (
        _run(pg_app_engine, people["viewer"], insert, {**to, "to": people["editor"].user_id}) == 1
    )
    # not to someone outside the project, nor from outside it
    out = people["outsider"].user_id
    assert _run(pg_app_engine, people["editor"], insert, {**to, "to": out}) == 0
    assert (
        _run(pg_app_engine, people["outsider"], insert, {**to, "to": people["owner"].user_id}) == 0
    )
