"""Log in, sign up, log out, forgot and reset password: thin handlers over services/auth.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import reflex as rx

from promptrepo import routes
from promptrepo.db import system_scope
from promptrepo.services import auth
from promptrepo.services.errors import ServiceError
from promptrepo.state.base import AppState

# Kept here for the pages and tests that import them from the state.
AUTH_PAGES = routes.AUTH_PAGES
safe_next = routes.safe_next

# Which fields each form shows errors under, and its password inputs (emptied after an error).
FORM_FIELDS = {
    "login": (("email", "password"), ("login-password",)),
    "signup": (("name", "email", "password"), ("signup-password",)),
}
NETWORK_ERROR = "We could not reach PromptRepo. Check your connection and try again."


def field_errors(exc: ServiceError) -> dict[str, str]:
    return {str(e["loc"][-1]): e["msg"] for e in exc.errors if e.get("loc")}


class AuthFormState(AppState):
    """What the auth forms show: errors per field, a form-level message, a busy flag."""

    form_error: str = ""
    errors: dict[str, str] = {}
    notice: str = ""
    submitting: bool = False
    # The password reset went through: the page explains that sessions and API keys ended.
    reset_done: bool = False

    @rx.var
    def next_path(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    @rx.var
    def for_invite(self) -> bool:
        """The page was opened on the way to an invitation (/invites/<token>)."""
        nxt = self.router.url.query_parameters.get("next")
        return bool(nxt) and safe_next(nxt).startswith("/invites/")

    @rx.var
    def signup_href(self) -> str:
        nxt = self.router.url.query_parameters.get("next")
        return f"{routes.SIGNUP}?next={quote(safe_next(nxt))}" if nxt else routes.SIGNUP

    @rx.var
    def login_href(self) -> str:
        nxt = self.router.url.query_parameters.get("next")
        return f"{routes.LOGIN}?next={quote(safe_next(nxt))}" if nxt else routes.LOGIN

    def _fail(self, exc: ServiceError, *password_ids: str, fields: tuple[str, ...] = ()) -> list:
        # A message that belongs to a field of this form shows under it; the rest shows above.
        self.errors = {k: v for k, v in field_errors(exc).items() if k in fields}
        self.form_error = "" if self.errors else exc.message
        self.submitting = False
        # Passwords are never kept after an error; everything else the user typed stays.
        return [rx.set_value(ref, "") for ref in password_ids]

    @rx.event
    def open_form(self):
        """on_load of the auth pages: a clean form, and the signed-in user goes on."""
        self.errors = {}
        self.form_error = ""
        self.notice = ""
        self.submitting = False
        self.reset_done = False
        principal = self.page_principal()
        path = self.router.url.path.rstrip("/") or "/"
        if principal is not None and path in (routes.LOGIN, routes.SIGNUP):
            return rx.redirect(self.next_path)

    # Sign-in, sign-up and sign-out go through api/browser_session.py, which sets and clears
    # the HttpOnly cookie: the page posts the form with fetch (pages/auth.py) and loads the
    # next page in full; these handlers only show progress and the answer's errors.
    @rx.event
    def begin_submit(self):
        self.submitting = True
        self.form_error = ""
        self.errors = {}
        self.notice = ""

    @rx.event
    def session_refused(self, outcome: dict[str, Any] | None):
        """The sign-in/sign-up request's answer, unless the page is already moving on."""
        if not outcome or outcome.get("navigating"):
            return None
        fields, password_ids = FORM_FIELDS.get(str(outcome.get("form")), ((), ()))
        self.submitting = False
        if outcome.get("notice"):  # Supabase wants the address confirmed first
            self.notice = str(outcome["notice"])
            return None
        errors = {
            str(e["loc"][-1]): str(e.get("msg", ""))
            for e in outcome.get("errors") or []
            if isinstance(e, dict) and e.get("loc")
        }
        # A message that belongs to a field of this form shows under it; the rest shows above.
        self.errors = {k: v for k, v in errors.items() if k in fields}
        if self.errors:
            self.form_error = ""
        elif outcome.get("status") == 0:
            self.form_error = NETWORK_ERROR
        else:
            self.form_error = str(outcome.get("detail") or "Something went wrong. Try again.")
        # Passwords are never kept after an error; everything else the user typed stays.
        return [rx.set_value(ref, "") for ref in password_ids]

    @rx.event
    def logged_out(self, outcome: dict[str, Any] | None):
        """The sign-out request's answer (the cookie is cleared and its session revoked)."""
        if not outcome or not outcome.get("ok"):
            self.form_error = NETWORK_ERROR
            return None
        self._set_user(None)
        self._set_theme(None)
        return [
            rx.redirect(routes.HOME),
            rx.toast.success("You are logged out.", id="logged-out"),
        ]

    @rx.event
    def forgot_password(self, form_data: dict[str, Any]) -> Iterator:
        self.submitting = True
        self.form_error = ""
        self.errors = {}
        self.notice = ""
        yield
        try:
            with system_scope("password-reset") as session:
                self.notice = auth.request_password_reset(
                    session,
                    form_data.get("email", ""),
                    client_ip=self.router.session.client_ip or "",
                )
        except ServiceError as exc:
            self._fail(exc, fields=("email",))
            return
        self.submitting = False

    @rx.event
    def reset_password(self, form_data: dict[str, Any]) -> Iterator:
        self.submitting = True
        self.form_error = ""
        self.errors = {}
        yield
        password = form_data.get("password", "")
        if password != form_data.get("password_confirm", ""):
            self.errors = {"password_confirm": "The two passwords differ."}
            self.submitting = False
            yield [rx.set_value("reset-password", ""), rx.set_value("reset-password-confirm", "")]
            return
        try:
            with system_scope("password-reset") as session:
                auth.reset_password(
                    session, self.router.url.query_parameters.get("token", ""), password
                )
        except ServiceError as exc:
            yield self._fail(exc, "reset-password", "reset-password-confirm", fields=("password",))
            return
        self.submitting = False
        # The reset ended every session, the cookie's too: this tab is signed out.
        self._set_user(None)
        self.reset_done = True  # the page now says what ended and where to make new keys
