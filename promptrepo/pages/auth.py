"""The account pages: /login, /signup, /logout, /forgot-password, /reset-password."""

from __future__ import annotations

import json

import reflex as rx
from reflex.vars import VarData
from reflex_base.constants import Dirs
from reflex_base.utils.imports import ImportVar

from promptrepo import routes
from promptrepo.components.forms import card, field, form_alert
from promptrepo.components.template import template
from promptrepo.services.passwords import MAX_LENGTH, MIN_LENGTH
from promptrepo.state.auth import AuthFormState as S

PASSWORD_HINT = f"{MIN_LENGTH} to {MAX_LENGTH} characters."

# The session endpoints (api/browser_session.py) are reached at the backend's address, which
# is this page's own in production and the backend port under `reflex run` (dev).
_BACKEND_URL_IMPORTS = VarData(
    imports={
        f"$/{Dirs.STATE_PATH}": [ImportVar(tag="getBackendURL")],
        "$/env.json": [ImportVar(tag="env", is_default=True)],
    }
)

# Post the form's fields as JSON; on success load `next` in full (the websocket reconnects and
# brings the new HttpOnly cookie to the state); otherwise hand the answer to session_refused.
# The password goes to the endpoint only, never through the websocket or the state.
_SUBMIT_JS = """async () => {
  const form = document.getElementById(__FORM_ID__);
  const data = {};
  for (const name of __FIELDS__) data[name] = form?.elements[name]?.value ?? "";
  data.next = new URLSearchParams(window.location.search).get("next") ?? "";
  let response;
  try {
    response = await fetch(new URL(__ENDPOINT__, getBackendURL(env.PING)), {
      method: "POST",
      credentials: "include",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(data),
    });
  } catch (error) {
    return {form: __FORM__, status: 0};
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 200 && typeof body.next === "string") {
    window.location.assign(body.next);
    return {navigating: true};
  }
  return {...body, form: __FORM__, status: response.status};
}"""

_LOGOUT_JS = """async () => {
  try {
    const response = await fetch(new URL(__ENDPOINT__, getBackendURL(env.PING)), {
      method: "POST",
      credentials: "include",
    });
    return {ok: response.ok};
  } catch (error) {
    return {ok: false};
  }
}"""


def _js(code: str, **values: object) -> rx.Var:
    for name, value in values.items():
        code = code.replace(f"__{name.upper()}__", json.dumps(value))
    return rx.Var(_js_expr=code, _var_data=_BACKEND_URL_IMPORTS)


def submit_session_form(form: str, endpoint: str, fields: tuple[str, ...]) -> list:
    """on_submit of the login/signup form: post it to `endpoint` from the page."""
    code = _js(
        _SUBMIT_JS, form_id=f"{form}-form", form=form, fields=list(fields), endpoint=endpoint
    )
    return [S.begin_submit, rx.call_function(code, callback=S.session_refused)]


def submit(label: str, busy_label: str, id: str) -> rx.Component:
    return rx.button(
        rx.cond(S.submitting, busy_label, label),
        type="submit",
        size="3",
        width="100%",
        loading=S.submitting,
        # Until the page is live, a disabled default button also blocks Enter: the browser
        # would otherwise submit the form natively (a GET with the password in the URL).
        disabled=~S.is_hydrated,
        id=id,
    )


@template(route=routes.LOGIN, title="Log in · PromptRepo", on_load=S.open_form)
def login() -> rx.Component:
    return card(
        # On the way to an invitation the page says so, and offers a new account first.
        rx.cond(
            S.for_invite,
            rx.callout.root(
                rx.callout.icon(rx.icon("mail")),
                rx.callout.text("Sign in or create an account to accept your invitation."),
                rx.link(
                    rx.button(rx.icon("user-plus", size=14), "Create an account"),
                    href=S.signup_href,
                    id="invite-signup",
                ),
                color_scheme="blue",
                id="invite-note",
            ),
            rx.text("Welcome back to PromptRepo.", color=rx.color("gray", 11), id="login-welcome"),
        ),
        form_alert(S.form_error, id="login-error"),
        rx.form(
            rx.vstack(
                field(
                    "E-mail",
                    name="email",
                    id="login-email",
                    type="email",
                    auto_complete="username",
                    auto_focus=True,
                    required=True,
                    error=S.errors["email"],
                ),
                field(
                    "Password",
                    name="password",
                    id="login-password",
                    type="password",
                    auto_complete="current-password",
                    required=True,
                    error=S.errors["password"],
                ),
                submit("Log in", "Logging in…", "login-submit"),
                spacing="4",
                width="100%",
            ),
            on_submit=submit_session_form("login", "/api/auth/login", ("email", "password")),
            reset_on_submit=False,
            id="login-form",
            width="100%",
        ),
        rx.hstack(
            rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD, size="2"),
            rx.spacer(),
            rx.link("Create an account", href=S.signup_href, size="2", id="to-signup"),
            width="100%",
        ),
        heading="Log in",
    )


@template(route=routes.SIGNUP, title="Sign up · PromptRepo", on_load=S.open_form)
def signup() -> rx.Component:
    return card(
        form_alert(S.form_error, id="signup-error"),
        form_alert(S.notice, id="signup-notice", color_scheme="blue"),
        rx.form(
            rx.vstack(
                field(
                    "Name",
                    name="name",
                    id="signup-name",
                    auto_complete="name",
                    auto_focus=True,
                    required=True,
                    max_length=100,
                    error=S.errors["name"],
                ),
                field(
                    "E-mail",
                    name="email",
                    id="signup-email",
                    type="email",
                    auto_complete="email",
                    required=True,
                    error=S.errors["email"],
                ),
                field(
                    "Password",
                    name="password",
                    id="signup-password",
                    type="password",
                    auto_complete="new-password",
                    required=True,
                    hint=PASSWORD_HINT,
                    error=S.errors["password"],
                ),
                submit("Create account", "Creating your account…", "signup-submit"),
                spacing="4",
                width="100%",
            ),
            on_submit=submit_session_form(
                "signup", "/api/auth/signup", ("name", "email", "password")
            ),
            reset_on_submit=False,
            id="signup-form",
            width="100%",
        ),
        rx.text(
            "Already have an account? ",
            rx.link("Log in", href=S.login_href, id="to-login"),
            size="2",
        ),
        heading="Create your account",
        subheading="Free plan: 3 projects, 100 prompts. No card needed.",
    )


@template(route=routes.LOGOUT, title="Log out · PromptRepo")
def logout() -> rx.Component:
    # The cookie is HttpOnly: only the server can clear it, so the page asks it to.
    return rx.center(
        rx.cond(
            S.form_error,
            rx.vstack(
                form_alert(S.form_error, id="logout-error"),
                rx.link("Back to the home page", href=routes.HOME),
                align="center",
            ),
            rx.hstack(rx.spinner(), rx.text("Logging you out…"), id="logout-progress"),
        ),
        on_mount=rx.call_function(
            _js(_LOGOUT_JS, endpoint="/api/auth/logout"), callback=S.logged_out
        ),
        padding_y="4rem",
    )


@template(route=routes.FORGOT_PASSWORD, title="Forgot password · PromptRepo", on_load=S.open_form)
def forgot_password() -> rx.Component:
    return card(
        form_alert(S.form_error, id="forgot-error"),
        form_alert(S.notice, id="forgot-notice", color_scheme="green"),
        rx.form(
            rx.vstack(
                field(
                    "E-mail",
                    name="email",
                    id="forgot-email",
                    type="email",
                    auto_complete="email",
                    auto_focus=True,
                    required=True,
                    error=S.errors["email"],
                ),
                submit("Send me a reset link", "Sending…", "forgot-submit"),
                spacing="4",
                width="100%",
            ),
            on_submit=S.forgot_password,
            reset_on_submit=False,
            width="100%",
        ),
        rx.link("Back to log in", href=routes.LOGIN, size="2"),
        heading="Forgot your password?",
        subheading="We will e-mail you a link to choose a new one.",
    )


@template(
    route=routes.RESET_PASSWORD, title="Choose a new password · PromptRepo", on_load=S.open_form
)
def reset_password() -> rx.Component:
    return rx.cond(S.reset_done, reset_password_done(), reset_password_form())


def reset_password_done() -> rx.Component:
    return card(
        rx.callout.root(
            rx.callout.icon(rx.icon("shield-check")),
            rx.callout.text(
                "Every session of your account has been signed out and every API key "
                "revoked, in case someone else had them. Programs that used a key need a new one."
            ),
            color_scheme="green",
            id="reset-done",
        ),
        rx.link(
            "Log in with the new password",
            href=f"{routes.LOGIN}?next={routes.SETTINGS}",
            id="reset-login",
            size="3",
            weight="medium",
        ),
        rx.link(
            "Make new API keys (Settings → API keys)",
            href=f"{routes.SETTINGS}#api-keys-section",
            id="reset-new-keys",
            size="2",
        ),
        heading="Your password is changed",
    )


def reset_password_form() -> rx.Component:
    return card(
        form_alert(S.form_error, id="reset-error"),
        rx.text(
            "Setting a new password signs out every session and revokes every API key of "
            "your account.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.vstack(
                field(
                    "New password",
                    name="password",
                    id="reset-password",
                    type="password",
                    auto_complete="new-password",
                    auto_focus=True,
                    required=True,
                    hint=PASSWORD_HINT,
                    error=S.errors["password"],
                ),
                field(
                    "New password again",
                    name="password_confirm",
                    id="reset-password-confirm",
                    type="password",
                    auto_complete="new-password",
                    required=True,
                    error=S.errors["password_confirm"],
                ),
                submit("Set new password", "Saving…", "reset-submit"),
                spacing="4",
                width="100%",
            ),
            on_submit=S.reset_password,
            reset_on_submit=False,
            width="100%",
        ),
        rx.link("Ask for a new link", href=routes.FORGOT_PASSWORD, size="2"),
        heading="Choose a new password",
    )
