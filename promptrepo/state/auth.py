"""Log in, sign up, log out, forgot and reset password: thin handlers over services/auth.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import reflex as rx

from promptrepo import routes
from promptrepo.db import session_scope, system_scope
from promptrepo.models import Profile
from promptrepo.services import auth
from promptrepo.services.errors import ServiceError
from promptrepo.services.principal import Principal
from promptrepo.state.base import AppState

AUTH_PAGES = {
    routes.LOGIN,
    routes.SIGNUP,
    routes.LOGOUT,
    routes.FORGOT_PASSWORD,
    routes.RESET_PASSWORD,
}


def safe_next(target: str | None, default: str = routes.DASHBOARD) -> str:
    """`target` if it is a path on this site (not `//host`, not a scheme, not an auth page)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    if parts.path.rstrip("/") in AUTH_PAGES or parts.path in AUTH_PAGES:
        return default
    return target


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
    def signup_href(self) -> str:
        nxt = self.router.url.query_parameters.get("next")
        return f"{routes.SIGNUP}?next={quote(safe_next(nxt))}" if nxt else routes.SIGNUP

    @rx.var
    def login_href(self) -> str:
        nxt = self.router.url.query_parameters.get("next")
        return f"{routes.LOGIN}?next={quote(safe_next(nxt))}" if nxt else routes.LOGIN

    def _client(self) -> tuple[str, str]:
        return self.router.session.client_ip or "", self.router.headers.user_agent or ""

    def _fail(self, exc: ServiceError, *password_ids: str, fields: tuple[str, ...] = ()) -> list:
        # A message that belongs to a field of this form shows under it; the rest shows above.
        self.errors = {k: v for k, v in field_errors(exc).items() if k in fields}
        self.form_error = "" if self.errors else exc.message
        self.submitting = False
        # Passwords are never kept after an error; everything else the user typed stays.
        return [rx.set_value(ref, "") for ref in password_ids]

    def _signed_in(self, principal: Principal, token: str) -> None:
        self.auth_token = token
        self._set_user(principal)
        with session_scope(acting_as=principal.user_id) as session:
            profile = session.get(Profile, principal.user_id)
            self._set_theme(profile.theme_preference if profile else None)
        self.errors = {}
        self.form_error = ""
        self.submitting = False

    @rx.event
    def open_form(self):
        """on_load of the auth pages: a clean form, and the signed-in user goes on."""
        self.errors = {}
        self.form_error = ""
        self.notice = ""
        self.submitting = False
        self.reset_done = False
        principal = self._principal_and_theme()
        path = self.router.url.path.rstrip("/") or "/"
        if principal is not None and path in (routes.LOGIN, routes.SIGNUP):
            return rx.redirect(self.next_path)

    @rx.event
    def login(self, form_data: dict[str, Any]) -> Iterator:
        self.submitting = True
        self.form_error = ""
        self.errors = {}
        yield
        ip, agent = self._client()
        try:
            with system_scope("sign-in") as session:
                principal, token = auth.sign_in(
                    session,
                    email=form_data.get("email", ""),
                    password=form_data.get("password", ""),
                    client_ip=ip,
                    user_agent=agent,
                )
        except ServiceError as exc:
            yield self._fail(exc, "login-password", fields=("email", "password"))
            return
        self._signed_in(principal, token)
        yield rx.redirect(self.next_path)

    @rx.event
    def signup(self, form_data: dict[str, Any]) -> Iterator:
        self.submitting = True
        self.form_error = ""
        self.errors = {}
        yield
        ip, agent = self._client()
        try:
            with system_scope("sign-in") as session:
                principal, token = auth.sign_up(
                    session,
                    email=form_data.get("email", ""),
                    password=form_data.get("password", ""),
                    name=form_data.get("name", ""),
                    client_ip=ip,
                    user_agent=agent,
                )
        except auth.EmailConfirmationRequired as exc:
            self.submitting = False
            self.notice = exc.message
            return
        except ServiceError as exc:
            yield self._fail(exc, "signup-password", fields=("name", "email", "password"))
            return
        self._signed_in(principal, token)
        yield rx.redirect(self.next_path)

    @rx.event
    def logout(self):
        """on_load of /logout: revoke the session on the server, forget the cookie."""
        token = self.auth_token
        if token:
            with system_scope("sign-in") as session:
                auth.sign_out(session, token)
        self.auth_token = ""
        self._set_user(None)
        self._set_theme(None)
        # Emptying the cookie var empties the cookie. (rx.remove_cookie would re-run the page's
        # hydrate and on_load events, i.e. this handler again.)
        events = [rx.redirect(routes.HOME)]
        if token:  # on_load can fire again for the same visit: say it once
            events.append(rx.toast.success("You are logged out.", id="logged-out"))
        return events

    @rx.event
    def forgot_password(self, form_data: dict[str, Any]) -> Iterator:
        self.submitting = True
        self.form_error = ""
        self.errors = {}
        self.notice = ""
        yield
        try:
            with system_scope("password-reset") as session:
                self.notice = auth.request_password_reset(session, form_data.get("email", ""))
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
        self.auth_token = ""
        self._set_user(None)
        self.reset_done = True  # the page now says what ended and where to make new keys
