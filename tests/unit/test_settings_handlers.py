"""The settings page's password form (state/settings.py): bad input loses nothing typed.

The handler answers with events; a field is cleared only by an `rx.set_value(<id>, "")` among
them (the form itself keeps its values: `reset_on_submit=False`)."""

from __future__ import annotations

from typing import Any

import pytest
from reflex.istate.data import RouterData
from reflex.state import State
from sqlmodel import Session

from promptrepo.services.accounts import set_password
from promptrepo.services.sessions import create_session
from promptrepo.state.settings import SettingsState
from tests.factories import make_user

PASSWORD = "the old passphrase"
FIELDS = ("current-password", "new-password", "new-password-confirm")


def settings_tab(token: str) -> SettingsState:
    root = State(_reflex_internal_init=True)
    headers = {"origin": "http://test", "cookie": f"pr_session={token}"}
    root.router = RouterData.from_router_data(
        {"pathname": "/settings", "asPath": "/settings", "headers": headers}
    )
    return root.get_substate(SettingsState.get_full_name().split("."))


def cleared_fields(state: SettingsState, form: dict[str, Any]) -> set[str]:
    """Run the handler; the ids of the fields its events set to ""."""
    cleared = set()
    for answer in SettingsState.change_password.fn(state, form):
        for event in answer if isinstance(answer, list) else [answer]:
            args = {name._js_expr: value for name, value in getattr(event, "args", ())}
            if set(args) != {"ref", "value"}:  # not an rx.set_value
                continue
            ref, value = args["ref"]._var_value, args["value"]._var_value
            if value == "":
                cleared.add(ref.removeprefix("ref_").replace("_", "-"))
    return cleared


@pytest.fixture
def signed_in_with_password(session: Session, use_engine):
    user = make_user(session)
    set_password(session, user.user_id, PASSWORD)
    token = create_session(session, user.user_id)
    session.commit()
    return user, token


def test_a_wrong_current_password_keeps_everything_typed(
    session: Session, signed_in_with_password
) -> None:
    user, token = signed_in_with_password
    state = settings_tab(token)
    form = {
        "current_password": "not my password",
        "new_password": "a brand new passphrase",
        "new_password_confirm": "a brand new passphrase",
    }
    assert cleared_fields(state, form) == set()
    assert state.password_errors.get("current_password") or state.password_error
    assert not state.saving_password


def test_a_too_short_new_password_keeps_everything_typed(signed_in_with_password) -> None:
    _, token = signed_in_with_password
    state = settings_tab(token)
    form = {"current_password": PASSWORD, "new_password": "short", "new_password_confirm": "short"}
    assert cleared_fields(state, form) == set()
    assert "new_password" in state.password_errors


def test_new_passwords_that_differ_keep_everything_typed(signed_in_with_password) -> None:
    _, token = signed_in_with_password
    state = settings_tab(token)
    form = {
        "current_password": PASSWORD,
        "new_password": "a brand new passphrase",
        "new_password_confirm": "a brand new passphrase!",
    }
    assert cleared_fields(state, form) == set()
    assert state.password_errors == {"new_password_confirm": "The two new passwords differ."}


def test_a_changed_password_clears_the_form(session: Session, signed_in_with_password) -> None:
    user, token = signed_in_with_password
    state = settings_tab(token)
    form = {
        "current_password": PASSWORD,
        "new_password": "a brand new passphrase",
        "new_password_confirm": "a brand new passphrase",
    }
    assert cleared_fields(state, form) == set(FIELDS)
    assert state.password_errors == {} and state.password_error == ""
