"""The Reflex handlers of the dashboard and the project page, called as a browser would.

An outsider (another user, or nobody) gets "not found" and changes nothing through any
handler, even when sending ids it should not know.
"""

from __future__ import annotations

import pytest
from reflex.istate.data import RouterData
from reflex.state import State
from sqlmodel import Session, func, select

from promptrepo.models import Project, Segment
from promptrepo.services import projects, prompts, segments
from promptrepo.services.sessions import create_session
from promptrepo.state.dashboard import DashboardState
from promptrepo.state.project import ProjectState
from tests.factories import make_user


def tab(state_cls, token: str = "", path: str = "/"):
    """A fresh state tree for one browser tab at `path`, signed in with `token`."""
    root = State(_reflex_internal_init=True)
    # The session comes, as in the app, from the cookie of the request that opened the socket.
    headers = {"origin": "http://test", "cookie": f"theme=dark; pr_session={token}"}
    root.router = RouterData.from_router_data(
        {"pathname": path, "asPath": path, "headers": headers}
    )
    return root.get_substate(state_cls.get_full_name().split("."))


@pytest.fixture
def world(session: Session, use_engine):
    owner = make_user(session, name="Owner")
    outsider = make_user(session, name="Outsider")
    project = projects.create_project(session, owner, name="Secret plans", description="hidden")
    seg = segments.create_segment(session, owner, project.id, name="Only segment")
    prompts.create_prompt(session, owner, seg.id, name="Only prompt", content="classified")
    tokens = {
        "owner": create_session(session, owner.user_id),
        "outsider": create_session(session, outsider.user_id),
    }
    session.commit()
    return project, seg, tokens


def snapshot(session: Session, project_id) -> tuple:
    session.expire_all()
    project = session.get(Project, project_id)
    segs = session.exec(select(Segment.name).where(Segment.project_id == project_id)).all()
    return (project.name, project.description, project.is_public, tuple(segs))


def test_owner_sees_the_project_page(world) -> None:
    project, _, tokens = world
    state = tab(ProjectState, tokens["owner"], f"/projects/{project.id}")
    ProjectState.load.fn(state)
    assert not state.not_found and state.is_owner
    assert [s.name for s in state.segments] == ["Only segment"]
    assert state.composed == ""  # not sent until its tab opens
    ProjectState.set_tab.fn(state, "composed")
    assert state.composed == "classified"


@pytest.mark.parametrize("who", ["outsider", "nobody"])
def test_outsider_gets_not_found_and_nothing_leaks_into_the_state(world, who: str) -> None:
    project, _, tokens = world
    state = tab(ProjectState, tokens.get(who, ""), f"/projects/{project.id}")
    ProjectState.load.fn(state)
    assert state.not_found
    ProjectState.set_tab.fn(state, "composed")
    assert (state.name, state.description, state.composed, state.segments) == ("", "", "", [])
    assert state._composed == ""


@pytest.mark.parametrize("who", ["outsider", "nobody"])
def test_outsider_cannot_change_a_private_project_through_any_handler(
    session: Session, world, who: str
) -> None:
    project, seg, tokens = world
    before = snapshot(session, project.id)
    state = tab(ProjectState, tokens.get(who, ""), f"/projects/{project.id}")
    # A tampered client: the ids of someone else's project, sent straight to the handlers.
    state.current_id = str(project.id)
    ProjectState.add_segment.fn(state, {"name": "Injected"})
    ProjectState.set_public.fn(state, True)
    state.target_kind, state.target_id = "segment", str(seg.id)
    ProjectState.rename.fn(state, {"name": "Renamed"})
    ProjectState.add_prompt.fn(state, {"name": "Injected prompt"})
    ProjectState.confirm_delete.fn(state)
    ProjectState.drag_start.fn(state, "segment", str(seg.id))
    ProjectState.drop_on_segment.fn(state, str(seg.id))
    export = ProjectState.export.fn(state, "json")
    assert "download" not in str(export).lower()
    assert snapshot(session, project.id) == before
    assert state.segments == [] and state.composed == ""


def test_outsider_cannot_change_a_private_project_from_the_dashboard(
    session: Session, world
) -> None:
    project, _, tokens = world
    before = snapshot(session, project.id)
    state = tab(DashboardState, tokens["outsider"], "/dashboard")
    DashboardState.load.fn(state)
    assert state.total == 0 and state.rows == []
    state.target_id = str(project.id)
    DashboardState.save_edit.fn(state, {"name": "Mine now", "description": ""})
    assert state.form_error == "Project not found."
    DashboardState.confirm_delete.fn(state)
    DashboardState.duplicate.fn(state, str(project.id))
    DashboardState.toggle_public.fn(state, str(project.id))
    assert snapshot(session, project.id) == before
    assert session.exec(select(func.count()).select_from(Project)).one() == 1


def test_dashboard_lists_only_the_users_own_projects_one_page_at_a_time(
    session: Session, world
) -> None:
    project, _, tokens = world
    state = tab(DashboardState, tokens["owner"], "/dashboard")
    DashboardState.load.fn(state)
    assert [r.name for r in state.rows] == ["Secret plans"]
    assert (state.rows[0].segment_count, state.rows[0].prompt_count) == (1, 1)
    DashboardState.set_search.fn(state, "nothing like it")
    assert state.rows == [] and state.total == 0


def test_signed_out_visitor_reads_a_public_project_and_is_asked_to_log_in_to_fork(
    session: Session, world
) -> None:
    project, _, tokens = world
    owner_state = tab(ProjectState, tokens["owner"], f"/projects/{project.id}")
    ProjectState.load.fn(owner_state)
    ProjectState.set_public.fn(owner_state, True)
    assert owner_state.is_public
    visitor = tab(ProjectState, "", f"/projects/{project.id}")
    ProjectState.load.fn(visitor)
    assert not visitor.not_found and not visitor.is_owner
    ProjectState.set_tab.fn(visitor, "composed")
    assert visitor.composed == "classified"
    redirect = ProjectState.fork.fn(visitor)
    assert "/login" in str(redirect)
    assert session.exec(select(func.count()).select_from(Project)).one() == 1
