"""Teams under PostgreSQL row-level security (migration 0018), as the app logs in.

Each step runs as `promptrepo_user` for one person: the owner invites, the invitees accept,
an editor writes content and publishes, a viewer reads but the database refuses their writes,
an outsider sees nothing, and nobody can make themselves a member or raise their own role
with raw SQL.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promptrepo.models import PlaygroundRun
from promptrepo.services import (
    drafts,
    members,
    plans,
    projects,
    prompts,
    releases,
    segments,
    versions,
    webhooks,
)
from promptrepo.services.errors import NotFound, PermissionDenied
from promptrepo.settings import settings
from tests.conftest import truncate_all
from tests.factories import make_user
from tests.rls import acting, changed_rows


@pytest.fixture
def pg(pg_engine: Engine) -> Engine:
    truncate_all(pg_engine)
    return pg_engine


@pytest.fixture
def team(pg: Engine, pg_app_engine: Engine):
    with Session(pg, expire_on_commit=False) as s:
        owner = make_user(s, name="Olive", plan="pro")
        editor = make_user(s, name="Eddie")
        viewer = make_user(s, name="Vera")
        outsider = make_user(s, name="Otto")
        s.commit()
    app = pg_app_engine
    with acting(app, owner) as s:
        project = projects.create_project(s, owner, name="Team")
        segment = segments.create_segment(s, owner, project.id, name="S")
        prompt = prompts.create_prompt(s, owner, segment.id, name="p", content="secret")
    links = {}
    for who, role in ((editor, "editor"), (viewer, "viewer")):
        with acting(app, owner) as s:
            links[role] = members.invite(s, owner, project.id, email=who.email, role=role).link
        with acting(app, who) as s:
            token = links[role].rsplit("/", 1)[1]
            assert members.get_invite(s, who, token).project_name == "Team"
            members.accept_invite(s, who, token)
    return app, owner, editor, viewer, outsider, project, segment, prompt


def test_editor_writes_and_publishes_under_rls(
    pg: Engine, team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhook_allow_private", True)  # no DNS here
    app, owner, editor, viewer, outsider, project, segment, prompt = team
    with acting(app, owner) as s:
        webhooks.create_webhook(
            s, owner, project.id, url="https://example.com/h", events=["label.moved"]
        )
    with acting(app, editor) as s:
        assert s.execute(text("SELECT count(*) FROM webhooks")).scalar_one() == 0  # secrets
        created = prompts.create_prompt(s, editor, segment.id, name="by editor", content="x")
        drafts.save_draft(s, editor, prompt.id, base_revision=1, content="edited by the editor")
        versions.create_version(s, editor, prompt.id, commit_message="v1")
        versions.set_label(s, editor, prompt.id, "production", 1)
    with pg.connect() as conn:  # the owner's endpoint hears the editor's publish
        queued = conn.execute(text("SELECT event_type FROM webhook_deliveries")).scalars().all()
        assert queued == ["label.moved"]
    with acting(app, viewer) as s:
        count = s.execute(text("SELECT count(*) FROM prompts")).scalar_one()
        assert count == 2
        assert s.execute(text("SELECT count(*) FROM label_events")).scalar_one() == 1
        # who did it is shown to the team (profiles are private: app_profile_name, 0018)
        assert releases.label_history(s, viewer, prompt.id)[0].actor_name == "Eddie"
        assert versions.list_versions(s, viewer, prompt.id).items[0].author_name == "Eddie"
        with pytest.raises(PermissionDenied):
            prompts.rename_prompt(s, viewer, prompt.id, "no")
        # and the database refuses too, whatever the services say
        for sql in (
            "UPDATE prompts SET content = 'hacked'",
            "DELETE FROM prompts",
            "UPDATE projects SET is_public = true",
            "DELETE FROM version_labels",
            'INSERT INTO segments (id, project_id, name, "order", created_at, updated_at) '
            "VALUES (gen_random_uuid(), :pid, 'x', 9, now(), now())",
        ):
            assert changed_rows(s, sql, {"pid": project.id}) == 0, sql
    with acting(app, outsider) as s:
        for table in ("projects", "prompts", "versions", "project_members", "project_invites"):
            assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
        with pytest.raises(NotFound):
            prompts.rename_prompt(s, outsider, created.id, "no")


def test_nobody_makes_themselves_a_member_or_raises_their_role(team) -> None:
    app, owner, editor, viewer, outsider, project, segment, prompt = team
    params = {"pid": project.id}
    join = (
        "INSERT INTO project_members (id, project_id, user_id, role, created_at) "
        "VALUES (gen_random_uuid(), :pid, :uid, :role, now())"
    )
    with acting(app, outsider) as s:
        assert changed_rows(s, join, {**params, "uid": outsider.user_id, "role": "editor"}) == 0
    with acting(app, viewer) as s:
        assert changed_rows(s, "UPDATE project_members SET role = 'editor'", {}) == 0
        assert changed_rows(s, join, {**params, "uid": outsider.user_id, "role": "viewer"}) == 0
        # a member may leave, though
        assert changed_rows(
            s, "DELETE FROM project_members WHERE user_id = :u", {"u": viewer.user_id}
        )
        assert (
            changed_rows(
                s, "DELETE FROM project_members WHERE user_id <> :u", {"u": viewer.user_id}
            )
            == 0
        )
        assert s.execute(text("SELECT count(*) FROM project_invites")).scalar_one() == 1  # own
    with acting(app, editor) as s:
        assert changed_rows(s, "UPDATE project_members SET role = 'viewer'", {}) == 0
        assert changed_rows(s, join, {**params, "uid": outsider.user_id, "role": "editor"}) == 0
        assert changed_rows(s, "DELETE FROM project_invites", {}) == 0
        with pytest.raises(PermissionDenied):
            members.invite(s, editor, project.id, email=outsider.email, role="editor")
    # an invitee may join only with the invited role, and only while it is open
    with acting(app, owner) as s:
        members.invite(s, owner, project.id, email=outsider.email, role="viewer")
    with acting(app, outsider) as s:
        assert changed_rows(s, join, {**params, "uid": outsider.user_id, "role": "editor"}) == 0
        assert changed_rows(s, join, {**params, "uid": outsider.user_id, "role": "viewer"}) == 1


def test_members_see_each_others_names_outsiders_do_not(team) -> None:
    app, owner, editor, viewer, outsider, project, *_ = team
    with acting(app, viewer) as s:
        team_view = members.list_team(s, viewer, project.id)
        assert [(p.name, p.role) for p in team_view.people] == [
            ("Olive", "owner"),
            ("Eddie", "editor"),
            ("Vera", "viewer"),
        ]
        assert projects.list_projects(s, viewer).items[0].owner_name == "Olive"
    with acting(app, outsider) as s:
        rows = s.execute(text("SELECT * FROM app_member_profiles(:pid)"), {"pid": project.id}).all()
        assert rows == []
        assert s.execute(text("SELECT app_profile_name(:u)"), {"u": owner.user_id}).scalar() is None
        assert (
            s.execute(text("SELECT * FROM app_owner_usage(:u)"), {"u": owner.user_id}).all() == []
        )


def test_editor_is_measured_against_the_owners_plan(team) -> None:
    app, owner, editor, *_ = team
    with acting(app, editor) as s:
        usage = plans._owner_usage(s, owner.user_id)
        assert usage is not None
        plan, project_count, prompt_count = usage
        assert (plan.id, project_count, prompt_count) == ("pro", 1, 1)


def test_playground_runs_are_each_members_own(team) -> None:
    app, owner, editor, viewer, outsider, project, segment, prompt = team
    with acting(app, owner) as s:
        s.add(PlaygroundRun(prompt_id=prompt.id, user_id=owner.user_id, provider="echo"))
    with acting(app, viewer) as s:
        s.add(PlaygroundRun(prompt_id=prompt.id, user_id=viewer.user_id, provider="echo"))
        s.flush()
        assert s.execute(text("SELECT count(*) FROM playground_runs")).scalar_one() == 1
        assert (
            changed_rows(
                s,
                "INSERT INTO playground_runs (id, prompt_id, user_id, provider, model, status, "
                "output, error, variables, placeholders, config, messages, created_at) VALUES "
                "(gen_random_uuid(), :p, :u, 'echo', '', 'running', '', '', '{}', '{}', '{}', "
                "'[]', now())",
                {"p": prompt.id, "u": owner.user_id},
            )
            == 0
        )
    with acting(app, owner) as s:
        assert s.execute(text("SELECT count(*) FROM playground_runs")).scalar_one() == 2


def test_transfer_and_leave_under_rls(team) -> None:
    app, owner, editor, viewer, outsider, project, *_ = team
    with acting(app, owner) as s:
        members.transfer_ownership(s, owner, project.id, editor.user_id)
    with acting(app, editor) as s:
        team_view = members.list_team(s, editor, project.id)
        assert team_view.my_role == "owner"
        assert {p.name: p.role for p in team_view.people} == {
            "Eddie": "owner",
            "Olive": "editor",
            "Vera": "viewer",
        }
        members.remove_member(s, editor, project.id, viewer.user_id)
    with acting(app, owner) as s:
        members.leave_project(s, owner, project.id)
    for who in (owner, viewer):
        with acting(app, who) as s:
            assert s.execute(text("SELECT count(*) FROM projects")).scalar_one() == 0
            assert projects.list_projects(s, who).total == 0


def test_an_unknown_invite_token_reveals_nothing(team) -> None:
    app, *_, outsider, project, _, _ = team
    with acting(app, outsider) as s, pytest.raises(NotFound):
        members.get_invite(s, outsider, uuid.uuid4().hex)


def test_the_team_sees_who_changed_what_in_the_projects_activity(team) -> None:
    """audit_log rows of a project's changes are the team's to read, not only their actor's;
    the rest of an account's audit log stays its own."""
    from promptrepo.services import activity

    app, owner, editor, viewer, outsider, project, segment, prompt = team
    with acting(app, editor) as s:
        prompts.rename_prompt(s, editor, prompt.id, "renamed by the editor")
        versions.create_version(s, editor, prompt.id, commit_message="v1")
    for who in (owner, editor, viewer):
        with acting(app, who) as s:
            entries = activity.list_activity(s, who, project.id).items
            assert any(
                e.actor_name == "Eddie" and "renamed by the editor" in e.summary for e in entries
            ), (who.name, [(e.actor_name, e.summary) for e in entries])
    with acting(app, outsider) as s:
        with pytest.raises(NotFound):
            activity.list_activity(s, outsider, project.id)
        count = s.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        assert count == 0
    with acting(app, viewer) as s:  # the editor's own account entries stay private
        actions = (
            s.execute(text("SELECT action FROM audit_log WHERE target_type = 'profile'"))
            .scalars()
            .all()
        )
        assert actions == []
