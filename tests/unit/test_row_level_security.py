"""PostgreSQL row-level security: the database itself hides other users' private rows.

These tests run raw SQL under the user-scoped role, as a bug in the application code would,
and show the policies hold. (SQLite has no row-level security; these run on PostgreSQL only.)
"""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session, select

from promptrepo.db import act_as
from promptrepo.models import Project, Prompt, Segment, Version
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
        segment = Segment(project_id=private.id, name="S")
        s.add(segment)
        s.flush()
        prompt = Prompt(segment_id=segment.id, name="secret prompt", content="top secret")
        s.add(prompt)
        s.flush()
        s.add(Version(prompt_id=prompt.id, version=1, content="top secret"))
        s.commit()
    return owner, outsider, private, public, prompt


def names(session: Session) -> set[str]:
    return {p.name for p in session.exec(select(Project)).all()}


def test_owner_sees_own_rows_and_outsider_sees_only_public(pg: Engine, world) -> None:
    owner, outsider, *_ = world
    with Session(pg) as s:
        act_as(s, owner.user_id)
        assert names(s) == {"Private", "Public"}
        assert s.exec(select(Prompt)).one().content == "top secret"
    with Session(pg) as s:
        act_as(s, outsider.user_id)
        assert names(s) == {"Public"}
        assert s.exec(select(Prompt)).all() == []
        assert s.exec(select(Version)).all() == []
    with Session(pg) as s:
        act_as(s, None)
        assert names(s) == {"Public"}


def test_outsider_cannot_change_or_delete_anothers_rows_even_with_raw_sql(
    pg: Engine, world
) -> None:
    _, outsider, private, public, prompt = world
    with Session(pg) as s:
        act_as(s, outsider.user_id)
        updated = s.execute(
            text("UPDATE projects SET name = 'pwned' WHERE id IN (:a, :b)"),
            {"a": private.id, "b": public.id},
        )
        deleted = s.execute(text("DELETE FROM prompts WHERE id = :id"), {"id": prompt.id})
        assert (updated.rowcount, deleted.rowcount) == (0, 0)
        s.commit()
    with Session(pg) as s:
        assert names(s) == {"Private", "Public"}


def test_outsider_cannot_insert_into_anothers_project(pg: Engine, world) -> None:
    _, outsider, private, *_ = world
    with Session(pg) as s:
        act_as(s, outsider.user_id)
        s.add(Segment(project_id=private.id, name="intruder"))
        with pytest.raises(ProgrammingError, match="row-level security"):
            s.flush()


def test_owner_can_work_normally_under_row_level_security(pg: Engine, world) -> None:
    owner, _, private, *_ = world
    with Session(pg, expire_on_commit=False) as s:
        act_as(s, owner.user_id)
        segment = Segment(project_id=private.id, name="Second", order=1)
        s.add(segment)
        s.flush()
        s.add(Prompt(segment_id=segment.id, name="new"))
        project = s.get(Project, private.id)
        project.description = "edited"
        s.commit()
    with Session(pg) as s:
        assert s.get(Project, private.id).description == "edited"


def test_webhooks_and_their_deliveries_are_private_to_the_projects_owner(pg: Engine, world) -> None:
    """Even on a public project: the secret signs deliveries, the log shows receivers' answers."""
    from promptrepo.models import Webhook, WebhookDelivery

    owner, outsider, _, public, _ = world
    with Session(pg) as s:
        hook = Webhook(project_id=public.id, url="https://example.com/h", secret="whsec_x")
        s.add(hook)
        s.flush()
        s.add(
            WebhookDelivery(
                webhook_id=hook.id, project_id=public.id, message_id="msg_1", event_type="x"
            )
        )
        s.commit()
    with Session(pg) as s:
        act_as(s, owner.user_id)
        assert len(s.exec(select(Webhook)).all()) == 1
        assert len(s.exec(select(WebhookDelivery)).all()) == 1
    with Session(pg) as s:
        act_as(s, outsider.user_id)
        assert s.exec(select(Webhook)).all() == []
        assert s.exec(select(WebhookDelivery)).all() == []
        with pytest.raises(ProgrammingError):
            s.execute(
                text(
                    "INSERT INTO webhooks (id, project_id, url, events, secret, created_at) "
                    "VALUES (gen_random_uuid(), :p, 'https://evil', '[]', 's', now())"
                ),
                {"p": public.id},
            )
