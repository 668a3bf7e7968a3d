"""Comments under PostgreSQL row-level security (migration 0020), as the app logs in: the team
reads and writes comments through the services; outsiders see none; the database itself
refuses a member's raw writes to comments that are not theirs."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promptrepo.services import comments, members, projects, prompts, segments, versions
from tests.conftest import truncate_all
from tests.factories import make_user
from tests.rls import acting, changed_rows


@pytest.fixture
def team(pg_engine: Engine, pg_app_engine: Engine):
    truncate_all(pg_engine)
    with Session(pg_engine, expire_on_commit=False) as s:
        owner = make_user(s, name="Olive", email="olive@x.io")
        editor = make_user(s, name="Eddie", email="eddie@x.io")
        viewer = make_user(s, name="Vera", email="vera@x.io")
        outsider = make_user(s, name="Otto", email="otto@x.io")
        s.commit()
    app = pg_app_engine
    with acting(app, owner) as s:
        project = projects.create_project(s, owner, name="Team")
        segment = segments.create_segment(s, owner, project.id, name="S")
        prompt = prompts.create_prompt(s, owner, segment.id, name="p", content="a\nb")
        versions.create_version(s, owner, prompt.id, commit_message="v1")
    for who, role in ((editor, "editor"), (viewer, "viewer")):
        with acting(app, owner) as s:
            link = members.invite(s, owner, project.id, email=who.email, role=role).link
        with acting(app, who) as s:
            members.accept_invite(s, who, link.rsplit("/", 1)[1])
    return app, owner, editor, viewer, outsider, prompt


def test_the_team_comments_mentions_and_resolves_under_rls(team) -> None:
    app, owner, editor, viewer, outsider, prompt = team
    with acting(app, viewer) as s:
        made = comments.add_comment(
            s, viewer, prompt.id, version=1, body="@eddie look", anchor_other=1,
            anchor_side="new", anchor_line=2,
        )  # fmt: skip
        assert [m.name for m in made.mentions] == ["Eddie"]
        assert made.author_name == "Vera"
    with acting(app, editor) as s:
        assert [m.comment_id for m in comments.my_mentions(s, editor)] == [made.id]
        assert comments.my_mentions(s, editor)[0].author_name == "Vera"
        assert comments.mark_mentions_read(s, editor) == 1
        done = comments.set_resolved(s, editor, made.id, True)
        assert done.resolved_by_name == "Eddie"
        mine = comments.add_comment(s, editor, prompt.id, version=1, body="editor's")
    with acting(app, owner) as s:
        listed = comments.list_comments(s, owner, prompt.id)
        assert (listed.total, listed.resolved) == (2, 1)
    with acting(app, viewer) as s:
        params = {"id": mine.id}
        for sql in (
            "UPDATE comments SET body = 'hacked' WHERE id = :id",
            "DELETE FROM comments WHERE id = :id",
            "UPDATE comments SET resolved_at = now() WHERE id = :id",
            "UPDATE comment_mentions SET read_at = NULL",
            "INSERT INTO comments (id, prompt_id, version_id, version, author_id, body, "
            "created_at) SELECT gen_random_uuid(), prompt_id, version_id, 1, "
            "(SELECT user_id FROM projects LIMIT 1), 'forged', now() FROM comments LIMIT 1",
        ):
            assert changed_rows(s, sql, params) == 0, sql
    with acting(app, editor) as s:  # editors resolve any thread, but edit only their own
        params = {"id": made.id}
        assert changed_rows(s, "UPDATE comments SET resolved_at = NULL WHERE id = :id", params) == 1
        for sql in (
            "UPDATE comments SET body = 'rewritten' WHERE id = :id",
            "UPDATE comments SET edited_at = now() WHERE id = :id",
            "DELETE FROM comments WHERE id = :id",
        ):
            assert changed_rows(s, sql, params) == 0, sql
    with acting(app, outsider) as s:
        for table in ("comments", "comment_mentions"):
            assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
