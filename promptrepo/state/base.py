"""AppState: the signed-in user, shared by every page.

Feature states subclass it and call `self.require_principal()` in every handler that reads
or writes data: the `check_login` redirect is for the user's convenience and protects nothing.
"""

from __future__ import annotations

import hashlib

import reflex as rx

from promptrepo import routes
from promptrepo.db import act_as, session_scope
from promptrepo.models import Profile
from promptrepo.services.errors import NotAuthenticated
from promptrepo.services.principal import Principal
from promptrepo.services.sessions import (
    SESSION_COOKIE,  # noqa: F401  (where the state's session comes from)
    resolve_session,
    token_from_cookie_header,
)


class AppState(rx.State):
    user_id: str = ""
    user_name: str = ""
    user_email: str = ""
    user_role: str = ""
    # "<light|dark|system>:<login stamp>", read by components/theme.py to apply the stored
    # theme preference in the browser once per login and once per change.
    theme_key: str = ""
    # Whether this tab's page has asked who is signed in yet: until then the navbar hides a
    # visitor's buttons from a browser that says it is signed in (components/layout.py).
    user_checked: bool = False

    @property
    def auth_token(self) -> str:
        """The session token of this tab: the HttpOnly `pr_session` cookie that came with the
        request which opened the websocket.

        Reflex keeps that request's headers on the server (`router.headers.cookie`, never
        serialised to the page) and refreshes them only when the websocket reconnects, so a
        sign-in or sign-out (api/browser_session.py sets or clears the cookie) is followed by
        a full page load.
        """
        return token_from_cookie_header(self.router.headers.cookie)

    @rx.var
    def is_authenticated(self) -> bool:
        return bool(self.user_id)

    @rx.var
    def is_admin(self) -> bool:
        return self.user_role == "admin"

    def principal(self) -> Principal | None:
        """Resolve the cookie's session now (so revocation and suspension apply at once)."""
        with session_scope() as session:
            principal = resolve_session(session, self.auth_token)
        self._set_user(principal)
        return principal

    def require_principal(self) -> Principal:
        principal = self.principal()
        if principal is None:
            raise NotAuthenticated("Please log in.")
        return principal

    def _set_user(self, principal: Principal | None) -> None:
        user = (
            (str(principal.user_id), principal.name, principal.email, principal.role)
            if principal
            else ("", "", "", "")
        )
        # Assigned only when something changed: every handler resolves the principal, and an
        # assignment (even of the same value) would send the user's fields to the page again
        # and re-render everything that reads them, on every autosave and keystroke.
        if user != (self.user_id, self.user_name, self.user_email, self.user_role):
            self.user_id, self.user_name, self.user_email, self.user_role = user
        if not self.user_checked:
            self.user_checked = True

    def _set_theme(self, theme_preference: str | None) -> None:
        """Remember the signed-in user's stored theme (None: nobody is signed in)."""
        if not theme_preference or not self.auth_token:
            self.theme_key = ""
            return
        stamp = hashlib.sha256(self.auth_token.encode()).hexdigest()[:12]
        self.theme_key = f"{theme_preference}:{stamp}"

    def page_principal(self) -> Principal | None:
        """principal() plus the signed-in user's stored theme, in one session.

        Every page's first on_load handler calls this (not principal()): the theme preference
        reaches the browser (components/theme.py) on whichever page a sign-in lands, and a
        test (tests/unit/test_page_loads.py) checks that every page does.
        """
        with session_scope() as session:
            principal = resolve_session(session, self.auth_token)
            if principal is not None:
                act_as(session, principal.user_id)
            profile = session.get(Profile, principal.user_id) if principal else None
            self._set_theme(profile.theme_preference if profile else None)
        self._set_user(principal)
        return principal

    @rx.event
    def load_user(self):
        """on_load for public pages: show who is signed in, if anyone."""
        self.page_principal()

    @rx.event
    def check_login(self):
        """on_load for pages that need a user: send visitors to /login?next=<this page>."""
        principal = self.page_principal()
        if principal is None:
            return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")

    @rx.event
    def check_admin(self):
        principal = self.page_principal()
        if principal is None:
            return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")
        if not principal.is_admin:
            return rx.redirect(routes.DASHBOARD)
