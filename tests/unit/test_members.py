"""Teams (issue 16): roles decide access; invitations by e-mail; roles, removal, leaving and
ownership transfer. Runs on SQLite and on PostgreSQL (as the owner; the row-level-security
side is tests/unit/test_members_rls.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from promptrepo.models import Project, ProjectInvite, ProjectMember, Prompt
from promptrepo.services import access, members, projects, search, serving
from promptrepo.services.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PlanLimitReached,
    ValidationFailed,
)
from promptrepo.services.principal import Principal
from tests.factories import add_member, make_user
from tests.prompt_factories import make_prompt


@pytest.fixture
def team(session: Session):
    owner = make_user(session, name="Olive Owner", plan="pro")
    editor = make_user(session, name="Eddie Editor")
    viewer = make_user(session, name="Vera Viewer")
    outsider = make_user(session, name="Otto Outsider")
    project, prompt = make_prompt(
        session, owner, content="Hello", name="greeting", project_name="Team project"
    )
    for who, role in ((editor, "editor"), (viewer, "viewer")):
        add_member(session, owner, project.id, who, role)
    return owner, editor, viewer, outsider, project, prompt


def _token(created: members.CreatedInvite) -> str:
    return created.link.rsplit("/", 1)[1]


def test_each_role_reads_and_only_owner_and_editor_edit(session: Session, team) -> None:
    owner, editor, viewer, outsider, project, prompt = team
    for who in (owner, editor, viewer):
        assert access.get_prompt(session, who, prompt.id)[0].id == prompt.id
    assert access.get_prompt(session, editor, prompt.id, write=True)
    with pytest.raises(PermissionDenied):
        access.get_prompt(session, viewer, prompt.id, write=True)
    assert access.get_prompt(session, viewer, prompt.id, need="member")  # the playground
    with pytest.raises(PermissionDenied):
        access.get_project(session, editor, project.id, need="manage")
    assert access.get_project(session, owner, project.id, need="manage")


def test_outsider_still_gets_not_found(session: Session, team) -> None:
    *_, outsider, project, prompt = team
    with pytest.raises(NotFound):
        access.get_project(session, outsider, project.id)
    with pytest.raises(NotFound):
        access.get_prompt(session, outsider, prompt.id, write=True)
    with pytest.raises(NotFound):
        members.list_team(session, outsider, project.id)


def test_dashboard_lists_shared_projects_with_my_role(session: Session, team) -> None:
    owner, editor, viewer, outsider, project, _ = team
    for who, role in ((owner, "owner"), (editor, "editor"), (viewer, "viewer")):
        page = projects.list_projects(session, who)
        assert [(i.id, i.role) for i in page.items] == [(str(project.id), role)]
        assert page.items[0].owner_name == "Olive Owner"
    assert projects.list_projects(session, outsider).items == []
    detail = projects.get_project_detail(session, viewer, project.id)
    assert (detail.role, detail.is_owner) == ("viewer", False)


def test_search_finds_prompts_of_shared_projects(session: Session, team) -> None:
    _, editor, _, outsider, _, prompt = team
    assert [i.prompt_id for i in search.search_prompts(session, editor, "greeting").items] == [
        str(prompt.id)
    ]
    assert search.search_prompts(session, outsider, "greeting").items == []


def test_project_key_of_a_member_reaches_with_the_members_role(session: Session, team) -> None:
    _, editor, viewer, _, project, prompt = team
    viewer_key = Principal(
        viewer.user_id,
        viewer.email,
        viewer.name,
        api_key_scope="write",
        api_key_project_id=project.id,
    )
    assert access.get_prompt(session, viewer_key, prompt.id)
    with pytest.raises(PermissionDenied):
        access.get_prompt(session, viewer_key, prompt.id, write=True)
    members.leave_project(session, viewer, project.id)
    session.commit()
    with pytest.raises(NotFound):  # no longer a member: the key reaches nothing
        access.get_prompt(session, viewer_key, prompt.id)


def test_serving_entries_carry_members(session: Session, team) -> None:
    owner, editor, viewer, outsider, project, prompt = team
    from promptrepo.services import versions

    versions.create_version(session, owner, prompt.id, commit_message="v1")
    session.commit()
    found = serving.read_published(session, editor, serving.Wanted(prompt.id, None, 1))
    assert found is not None
    served = serving.decode(serving.served_entry(found).encode())
    assert served is not None
    assert served.readable_by(viewer) and served.readable_by(editor) and served.readable_by(owner)
    assert not served.readable_by(outsider)
    assert serving.read_published(session, outsider, serving.Wanted(prompt.id, None, 1)) is None


def test_team_lists_people_and_only_owner_sees_invites(session: Session, team) -> None:
    owner, editor, viewer, _, project, _ = team
    members.invite(session, owner, project.id, email="newbie@example.com", role="viewer")
    session.commit()
    as_owner = members.list_team(session, owner, project.id)
    assert [(p.name, p.role) for p in as_owner.people] == [
        ("Olive Owner", "owner"),
        ("Eddie Editor", "editor"),
        ("Vera Viewer", "viewer"),
    ]
    assert [i.email for i in as_owner.invites] == ["newbie@example.com"]
    as_viewer = members.list_team(session, viewer, project.id)
    assert as_viewer.my_role == "viewer" and as_viewer.invites == []
    assert len(as_viewer.people) == 3


def test_only_the_owner_invites_and_changes_members(session: Session, team) -> None:
    owner, editor, viewer, _, project, _ = team
    with pytest.raises(PermissionDenied):
        members.invite(session, editor, project.id, email="x@example.com", role="viewer")
    with pytest.raises(PermissionDenied):
        members.change_role(session, editor, project.id, viewer.user_id, "editor")
    with pytest.raises(PermissionDenied):
        members.remove_member(session, viewer, project.id, editor.user_id)
    members.change_role(session, owner, project.id, viewer.user_id, "editor")
    session.commit()
    assert access.get_project(session, viewer, project.id, write=True)
    with pytest.raises(ValidationFailed):
        members.change_role(session, owner, project.id, viewer.user_id, "owner")
    members.remove_member(session, owner, project.id, viewer.user_id)
    session.commit()
    with pytest.raises(NotFound):
        access.get_project(session, viewer, project.id)


def test_invite_refuses_members_and_bad_addresses(session: Session, team) -> None:
    owner, editor, *_, project, _ = team
    with pytest.raises(Conflict):
        members.invite(session, owner, project.id, email=editor.email.upper(), role="viewer")
    with pytest.raises(Conflict):
        members.invite(session, owner, project.id, email=owner.email, role="viewer")
    with pytest.raises(ValidationFailed):
        members.invite(session, owner, project.id, email="not an address", role="viewer")
    with pytest.raises(ValidationFailed):
        members.invite(session, owner, project.id, email="a@example.com", role="admin")


def test_invite_for_another_address_is_refused(session: Session, team) -> None:
    owner, *_, outsider, project, _ = team
    created = members.invite(session, owner, project.id, email="someone@example.com", role="editor")
    session.commit()
    with pytest.raises(PermissionDenied, match="someone@example.com"):
        members.get_invite(session, outsider, _token(created))
    view = members.get_invite(session, owner, _token(created))
    assert (view.for_me, view.status, view.project_name) == (False, "pending", "Team project")
    with pytest.raises(PermissionDenied, match="someone@example.com"):
        members.accept_invite(session, outsider, _token(created))
    with pytest.raises(PermissionDenied):
        members.decline_invite(session, outsider, _token(created))
    with pytest.raises(NotFound):
        access.get_project(session, outsider, project.id)


def test_invite_works_once(session: Session, team) -> None:
    owner, *_, project, _ = team
    newbie = make_user(session, email="newbie@example.com")
    session.commit()
    created = members.invite(session, owner, project.id, email="NewBie@example.com", role="viewer")
    session.commit()
    assert members.accept_invite(session, newbie, _token(created)) == project.id
    session.commit()
    with pytest.raises(Conflict, match="already been accepted"):
        members.accept_invite(session, newbie, _token(created))
    assert members.get_invite(session, newbie, _token(created)).status == "accepted"


def test_expired_invite_is_refused(session: Session, team) -> None:
    owner, *_, project, _ = team
    newbie = make_user(session, email="late@example.com")
    created = members.invite(session, owner, project.id, email="late@example.com", role="viewer")
    row = session.get(ProjectInvite, uuid.UUID(created.id))
    row.expires_at = row.expires_at - timedelta(days=30)
    session.add(row)
    session.commit()
    assert members.get_invite(session, newbie, _token(created)).status == "expired"
    with pytest.raises(Conflict, match="expired"):
        members.accept_invite(session, newbie, _token(created))


def test_declined_and_revoked_and_replaced_invites_are_dead(session: Session, team) -> None:
    owner, *_, project, _ = team
    newbie = make_user(session, email="maybe@example.com")
    session.commit()
    first = members.invite(session, owner, project.id, email="maybe@example.com", role="viewer")
    second = members.invite(session, owner, project.id, email="maybe@example.com", role="editor")
    session.commit()
    with pytest.raises(Conflict, match="withdrawn"):  # replaced by the second
        members.accept_invite(session, newbie, _token(first))
    members.decline_invite(session, newbie, _token(second))
    session.commit()
    with pytest.raises(Conflict, match="declined"):
        members.accept_invite(session, newbie, _token(second))
    third = members.invite(session, owner, project.id, email="maybe@example.com", role="editor")
    session.commit()
    members.revoke_invite(session, owner, third.id)
    session.commit()
    with pytest.raises(Conflict, match="withdrawn"):
        members.accept_invite(session, newbie, _token(third))
    with pytest.raises(NotFound):
        members.get_invite(session, newbie, "not-a-token")
    with pytest.raises(NotFound):
        access.get_project(session, newbie, project.id)


def test_owner_cannot_leave_members_can(session: Session, team) -> None:
    owner, editor, *_, project, _ = team
    with pytest.raises(Conflict):
        members.leave_project(session, owner, project.id)
    members.leave_project(session, editor, project.id)
    session.commit()
    with pytest.raises(NotFound):
        access.get_project(session, editor, project.id)


def test_transfer_makes_member_owner_and_old_owner_editor(session: Session, team) -> None:
    owner, editor, viewer, outsider, project, _ = team
    with pytest.raises(NotFound):
        members.transfer_ownership(session, owner, project.id, outsider.user_id)
    with pytest.raises(PermissionDenied):
        members.transfer_ownership(session, editor, project.id, editor.user_id)
    members.transfer_ownership(session, owner, project.id, viewer.user_id)
    session.commit()
    session.refresh(project)
    assert project.user_id == viewer.user_id
    roles = dict(
        session.exec(
            select(ProjectMember.user_id, ProjectMember.role).where(
                ProjectMember.project_id == project.id
            )
        ).all()
    )
    assert roles == {owner.user_id: "editor", editor.user_id: "editor"}
    assert access.project_role(session, owner, project) == "editor"
    with pytest.raises(PermissionDenied):
        members.invite(session, owner, project.id, email="x@example.com", role="viewer")


def test_transfer_counts_against_the_new_owners_plan(session: Session, team) -> None:
    owner, editor, *_, project, _ = team
    for n in range(3):  # the free plan's project limit
        session.add(Project(user_id=editor.user_id, name=f"Editor's own {n}"))
    session.commit()
    with pytest.raises(PlanLimitReached):
        members.transfer_ownership(session, owner, project.id, editor.user_id)
    session.rollback()
    assert session.get(Project, project.id).user_id == owner.user_id


def test_editor_adds_prompts_within_the_owners_plan(session: Session, team) -> None:
    from promptrepo.services import prompts as prompt_service

    owner, editor, viewer, _, project, prompt = team
    segment_id = session.get(Prompt, prompt.id).segment_id
    created = prompt_service.create_prompt(session, editor, segment_id, name="by editor")
    session.commit()
    assert created.name == "by editor"
    with pytest.raises(PermissionDenied):
        prompt_service.create_prompt(session, viewer, segment_id, name="by viewer")


def test_members_dashboards_and_mcp_hear_the_projects_changes(
    session: Session, team, monkeypatch: pytest.MonkeyPatch
) -> None:
    from promptrepo.services import changes, events
    from promptrepo.services import prompts as prompt_service

    owner, editor, viewer, outsider, project, prompt = team
    heard: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        events, "publish_many", lambda topics, message: heard.extend((t, message) for t in topics)
    )
    prompt_service.rename_prompt(session, editor, prompt.id, "renamed")
    session.commit()
    topics = {topic for topic, _ in heard}
    for who in (owner, editor, viewer):
        assert changes.user_topic(who.user_id) in topics
    assert changes.user_topic(outsider.user_id) not in topics
    heard.clear()
    from promptrepo.services import versions

    versions.create_version(session, editor, prompt.id, commit_message="v1")
    session.commit()
    event = next(m for t, m in heard if t == changes.PROMPT_EVENTS_TOPIC)
    assert set(event["member_ids"]) == {str(editor.user_id), str(viewer.user_id)}


def test_a_removed_or_leaving_members_dashboard_hears_it(
    session: Session, team, monkeypatch: pytest.MonkeyPatch
) -> None:
    from promptrepo.services import changes, events

    owner, editor, viewer, _, project, _ = team
    heard: list[str] = []
    monkeypatch.setattr(events, "publish_many", lambda topics, message: heard.extend(topics))
    members.remove_member(session, owner, project.id, viewer.user_id)
    session.commit()
    assert changes.user_topic(viewer.user_id) in heard  # their dashboard drops the project
    assert changes.user_topic(owner.user_id) in heard
    heard.clear()
    members.leave_project(session, editor, project.id)
    session.commit()
    assert changes.user_topic(editor.user_id) in heard
    assert changes.user_topic(viewer.user_id) not in heard  # no longer a member
