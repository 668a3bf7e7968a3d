"""The playground page's state, called as a browser would: the Run card's source (the draft or a
saved version) decides the prompt shown, the variable fields and their example values; the
Runs card's wording and the run-status colours."""

from __future__ import annotations

import pytest
from reflex.istate.data import RouterData
from reflex.state import State
from sqlmodel import Session

from promptrepo.services import drafts, projects, prompts, segments, versions
from promptrepo.services.sessions import create_session
from promptrepo.state import playground as pg
from promptrepo.state.playground import PlaygroundState
from tests.factories import make_user

V1 = "Hello {{ user_name }}, welcome to {{ company }}."
DRAFT = "You are a support agent for {{ company }}.{% if vip %} VIP.{% endif %} {{ language }}"


def tab(token: str, path: str) -> PlaygroundState:
    root = State(_reflex_internal_init=True)
    headers = {"origin": "http://test", "cookie": f"pr_session={token}"}
    root.router = RouterData.from_router_data(
        {"pathname": path, "asPath": path, "headers": headers}
    )
    return root.get_substate(PlaygroundState.get_full_name().split("."))


@pytest.fixture
def world(session: Session, use_engine):
    owner = make_user(session, name="Owner")
    project = projects.create_project(session, owner, name="Desk")
    seg = segments.create_segment(session, owner, project.id, name="Main")
    prompt = prompts.create_prompt(session, owner, seg.id, name="greeting", content=V1)
    prompt = drafts.save_draft(
        session,
        owner,
        prompt.id,
        base_revision=prompt.revision,
        variables={
            "user_name": {"type": "string", "example": "Ada"},
            "company": {"type": "string", "example": "Acme"},
        },
    )
    versions.create_version(session, owner, prompt.id, commit_message="first")
    prompt = drafts.save_draft(
        session,
        owner,
        prompt.id,
        base_revision=prompt.revision,
        content=DRAFT,
        config={"model": "draft-model"},
    )
    prompt = drafts.save_draft(
        session,
        owner,
        prompt.id,
        base_revision=prompt.revision,
        variables={**prompt.variables, "company": {"type": "string", "example": "Globex"}},
    )
    token = create_session(session, owner.user_id)
    session.commit()
    state = tab(token, f"/projects/{project.id}/prompts/{prompt.id}/playground")
    PlaygroundState.load_playground.fn(state)
    assert state.loaded, state.load_error
    return state, prompt


def test_choosing_a_version_shows_its_prompt_and_its_variables(world) -> None:
    state, prompt = world
    assert state.variable_names == ["company", "vip", "language"]
    assert state.variable_values["company"] == "Globex"
    assert state.source_note == f"draft revision {prompt.revision}"

    PlaygroundState.set_source.fn(state, "v1")
    assert state.content == V1
    assert state.variable_names == ["user_name", "company"]
    # the version's own examples, not the draft's
    assert state.variable_values == {"user_name": "Ada", "company": "Acme"}
    assert state.config_form.get("model", "") == ""
    assert "version 1" in state.source_note and "draft revision" not in state.source_note

    # Back on the draft: its text and fields again.
    PlaygroundState.set_source.fn(state, "draft")
    assert state.content == DRAFT
    assert state.variable_names == ["company", "vip", "language"]
    assert state.variable_values["company"] == "Globex"
    assert state.config_form["model"] == "draft-model"


def test_values_typed_are_kept_for_names_the_chosen_source_still_has(world) -> None:
    state, _ = world
    PlaygroundState.set_content.fn(state, DRAFT + " (unsaved edit)")
    PlaygroundState.set_variable_value.fn(state, "company", "Initech")
    PlaygroundState.set_variable_value.fn(state, "language", "French")
    PlaygroundState.set_source.fn(state, "v1")
    assert state.variable_values == {"user_name": "Ada", "company": "Initech"}
    PlaygroundState.set_variable_value.fn(state, "user_name", "Grace")
    PlaygroundState.set_source.fn(state, "draft")
    assert state.content == DRAFT + " (unsaved edit)"  # the unsaved draft edit is not lost
    assert state.variable_values["company"] == "Initech"
    assert state.variable_values["language"] == "French"
    PlaygroundState.set_source.fn(state, "v1")
    assert state.variable_values == {"user_name": "Grace", "company": "Initech"}


def test_a_version_is_run_with_its_own_variables(world) -> None:
    state, _ = world
    PlaygroundState.set_source.fn(state, "v1")
    version, values, _ = state._run_inputs()
    assert version == 1
    assert values == {"user_name": "Ada", "company": "Acme"}


def test_a_version_is_not_saved_over_the_draft(world) -> None:
    state, prompt = world
    PlaygroundState.set_source.fn(state, "v1")
    PlaygroundState.save_prompt.fn(state)
    assert state.save_error
    PlaygroundState.set_source.fn(state, "draft")
    assert state.content == DRAFT


def test_reloading_on_a_version_shows_that_version(world) -> None:
    state, _ = world
    PlaygroundState.set_source.fn(state, "v1")
    PlaygroundState.load_playground.fn(state)
    assert state.source == "v1"
    assert state.content == V1
    assert state.variable_names == ["user_name", "company"]
    PlaygroundState.set_source.fn(state, "draft")
    assert state.content == DRAFT


@pytest.mark.parametrize(
    ("total", "text"),
    [(0, "No runs yet"), (1, "1 run of this prompt."), (3, "3 runs of this prompt")],
)
def test_runs_summary_is_plural_aware(total: int, text: str) -> None:
    assert pg.runs_summary(total).startswith(text)
    assert "(s)" not in pg.runs_summary(total)


def test_run_status_colours() -> None:
    assert pg.status_color("error") == "red"
    assert pg.status_color("done") == "green"
    assert pg.status_color("running") == "blue"
    assert pg.status_color("stopped") == "amber"
    assert pg.status_color("") == "gray"
