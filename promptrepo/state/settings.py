"""/settings: name, theme, password, account deletion. Every handler re-checks the user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import reflex as rx

from promptrepo import routes
from promptrepo.db import session_scope
from promptrepo.services import accounts
from promptrepo.services.errors import ServiceError
from promptrepo.state.api_keys import ApiKeysState
from promptrepo.state.auth import field_errors
from promptrepo.state.base import AppState


class SettingsState(AppState):
    name_input: str = ""
    theme_preference: str = "system"
    has_password: bool = True
    profile_error: str = ""
    password_errors: dict[str, str] = {}
    password_error: str = ""
    delete_error: str = ""
    delete_open: bool = False
    saving_name: bool = False
    saving_password: bool = False
    deleting: bool = False

    @rx.event
    def load_settings(self):
        """on_load (after check_login): fill the forms with the stored profile."""
        self.profile_error = ""
        self.password_error = ""
        self.password_errors = {}
        self.delete_error = ""
        self.delete_open = False
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                profile = accounts.get_profile(session, principal)
                self.name_input = profile.name
                self.theme_preference = profile.theme_preference
                self.has_password = accounts.has_password(session, profile.id)
        except ServiceError:
            return rx.redirect(f"{routes.LOGIN}?next={routes.SETTINGS}")

    @rx.event
    def set_name_input(self, value: str):
        self.name_input = value

    @rx.event
    def save_name(self, form_data: dict[str, Any]) -> Iterator:
        self.saving_name = True
        self.profile_error = ""
        yield
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                profile = accounts.update_profile(
                    session, principal, name=form_data.get("name", self.name_input)
                )
                self.name_input = profile.name
                self.user_name = profile.name
        except ServiceError as exc:
            self.profile_error = exc.message
            self.saving_name = False
            return
        self.saving_name = False
        yield rx.toast.success("Name saved.")

    @rx.event
    def choose_theme(self, theme: str):
        """Store the theme preference; components/theme.py applies it in the browser at once."""
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                profile = accounts.update_profile(session, principal, theme_preference=theme)
        except ServiceError as exc:
            self.profile_error = exc.message
            return
        self.theme_preference = profile.theme_preference
        self._set_theme(profile.theme_preference)

    @rx.event
    def change_password(self, form_data: dict[str, Any]) -> Iterator:
        self.saving_password = True
        self.password_error = ""
        self.password_errors = {}
        yield
        # Bad input loses nothing typed: the fields are emptied only once the change is made.
        new_password = form_data.get("new_password", "")
        if new_password != form_data.get("new_password_confirm", ""):
            self.password_errors = {"new_password_confirm": "The two new passwords differ."}
            self.saving_password = False
            return
        revoke_keys = form_data.get("revoke_api_keys") in ("on", "true", True)
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                accounts.change_password(
                    session,
                    principal,
                    current_password=form_data.get("current_password", ""),
                    new_password=new_password,
                    keep_token=self.auth_token,
                    revoke_api_keys=revoke_keys,
                )
        except ServiceError as exc:
            self.password_errors = field_errors(exc)
            self.password_error = "" if self.password_errors else exc.message
            self.saving_password = False
            return
        self.saving_password = False
        yield [
            rx.set_value("current-password", ""),
            rx.set_value("new-password", ""),
            rx.set_value("new-password-confirm", ""),
            rx.toast.success(
                "Password changed. Your other sessions were logged out"
                + (" and every API key was revoked." if revoke_keys else ".")
            ),
            *([ApiKeysState.load_api_keys] if revoke_keys else []),
        ]

    @rx.event
    def set_delete_open(self, open: bool):
        self.delete_open = open
        self.delete_error = ""

    @rx.event
    def delete_account(self, form_data: dict[str, Any]) -> Iterator:
        self.deleting = True
        self.delete_error = ""
        yield
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                accounts.delete_account(
                    session, principal, confirmation=form_data.get("confirmation", "")
                )
        except ServiceError as exc:
            self.delete_error = exc.message
            self.deleting = False
            return
        self.deleting = False
        self.delete_open = False
        # The account's sessions went with it: the cookie left behind signs in no one.
        self._set_user(None)
        self._set_theme(None)
        yield [
            rx.redirect(routes.HOME),
            rx.toast.success("Your account and all its data are deleted."),
        ]
