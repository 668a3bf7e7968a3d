"""The auth pages' Reflex handlers: the session comes from the socket's Cookie header only.

Sign-in itself happens over HTTP (tests/api/test_browser_session.py); these handlers read the
HttpOnly cookie from the headers of the request that opened the websocket, and show the
answers of the session endpoints.
"""

from __future__ import annotations

import pytest
from reflex.istate.data import RouterData
from reflex.state import State
from sqlmodel import Session

from promptrepo.services.sessions import create_session, revoke_session
from promptrepo.state.auth import AuthFormState
from tests.factories import make_user


def tab(cookie: str = "", path: str = "/login"):
    root = State(_reflex_internal_init=True)
    headers = {"origin": "http://test", "cookie": cookie} if cookie else {"origin": "http://test"}
    root.router = RouterData.from_router_data(
        {"pathname": path, "asPath": path, "headers": headers}
    )
    return root.get_substate(AuthFormState.get_full_name().split("."))


@pytest.fixture
def signed_in(session: Session, use_engine):
    user = make_user(session, name="Cookie Monster")
    token = create_session(session, user.user_id)
    session.commit()
    return user, token


def test_the_token_is_read_from_the_cookie_header(signed_in) -> None:
    user, token = signed_in
    state = tab(f"a=1; pr_session={token}; b=2", "/dashboard")
    assert state.auth_token == token
    assert AuthFormState.check_login.fn(state) is None  # no redirect
    assert state.user_id == str(user.user_id) and state.user_name == "Cookie Monster"


@pytest.mark.parametrize("cookie", ["", "pr_session=", "pr_session=prs_forged", "other=prs_x"])
def test_without_a_valid_cookie_a_protected_page_sends_to_login(use_engine, cookie: str) -> None:
    state = tab(cookie, "/settings")
    redirect = AuthFormState.check_login.fn(state)
    assert redirect is not None and "/login?next=/settings" in str(redirect)
    assert state.user_id == ""


def test_a_revoked_session_in_the_cookie_signs_in_no_one(session: Session, signed_in) -> None:
    _, token = signed_in
    revoke_session(session, token)
    session.commit()
    state = tab(f"pr_session={token}", "/dashboard")
    assert state.principal() is None and state.user_id == ""


def test_a_refused_login_shows_field_errors_and_empties_the_password() -> None:
    state = tab()
    AuthFormState.begin_submit.fn(state)
    assert state.submitting
    events = AuthFormState.session_refused.fn(
        state,
        {
            "form": "login",
            "status": 422,
            "detail": "Enter your e-mail address and password.",
            "errors": [{"loc": ["body", "password"], "msg": "Required."}],
        },
    )
    assert state.errors == {"password": "Required."} and state.form_error == ""
    assert not state.submitting
    assert len(events) == 1  # the password field is emptied


def test_a_refusal_without_field_errors_shows_above_the_form() -> None:
    state = tab()
    AuthFormState.session_refused.fn(
        state, {"form": "signup", "status": 429, "detail": "Too many new accounts."}
    )
    assert state.form_error == "Too many new accounts." and state.errors == {}
    AuthFormState.session_refused.fn(state, {"form": "login", "status": 0})
    assert "could not reach" in state.form_error


def test_a_confirmation_notice_and_a_navigation_change_nothing_else() -> None:
    state = tab()
    AuthFormState.session_refused.fn(state, {"form": "signup", "notice": "Confirm it."})
    assert state.notice == "Confirm it." and state.form_error == ""
    state.form_error = "unchanged"
    assert AuthFormState.session_refused.fn(state, {"navigating": True}) is None
    assert state.form_error == "unchanged"


def test_logged_out_forgets_the_user_or_says_it_failed(signed_in) -> None:
    _, token = signed_in
    state = tab(f"pr_session={token}", "/logout")
    state.principal()
    assert state.user_id
    assert AuthFormState.logged_out.fn(state, {"ok": False}) is None
    assert "could not reach" in state.form_error and state.user_id
    events = AuthFormState.logged_out.fn(state, {"ok": True})
    assert state.user_id == "" and len(events) == 2  # home, and the toast
