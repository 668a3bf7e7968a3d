"""/settings → API keys: create one (its secret is shown once), list them, revoke one.

Thin: every handler re-checks the signed-in user and calls services/api_keys.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import reflex as rx

from promptrepo.db import session_scope
from promptrepo.formatting import format_timestamp
from promptrepo.models import ApiKey
from promptrepo.services import api_keys
from promptrepo.services.errors import ServiceError
from promptrepo.state.auth import field_errors
from promptrepo.state.base import AppState


@dataclasses.dataclass
class KeyRow:
    id: str = ""
    name: str = ""
    prefix: str = ""
    scope: str = "read"
    created: str = ""
    last_used: str = ""


def _row(key: ApiKey) -> KeyRow:
    return KeyRow(
        id=str(key.id),
        name=key.name,
        prefix=key.prefix,
        scope=key.scope,
        created=format_timestamp(key.created_at, "never"),
        last_used=format_timestamp(key.last_used_at, "never"),
    )


class ApiKeysState(AppState):
    keys: list[KeyRow] = []
    keys_loaded: bool = False
    create_errors: dict[str, str] = {}
    create_error: str = ""
    creating: bool = False
    # The secret of the key just created: shown until dismissed, never again.
    new_secret: str = ""
    new_secret_name: str = ""
    revoke_id: str = ""
    revoke_name: str = ""
    revoke_error: str = ""

    @rx.event
    def load_api_keys(self):
        """on_load of /settings (after check_login)."""
        self.new_secret = ""
        self.new_secret_name = ""
        self.create_error = ""
        self.create_errors = {}
        self.revoke_id = ""
        try:
            self._reload()
        except ServiceError:
            return  # check_login sends visitors to /login
        self.keys_loaded = True

    def _reload(self) -> None:
        principal = self.require_principal()
        with session_scope(acting_as=principal.user_id) as session:
            self.keys = [_row(k) for k in api_keys.list_api_keys(session, principal)]

    @rx.event
    def create_api_key(self, form_data: dict[str, Any]) -> Iterator:
        self.creating = True
        self.create_error = ""
        self.create_errors = {}
        yield
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                key, secret = api_keys.create_api_key(
                    session,
                    principal,
                    name=form_data.get("name", ""),
                    scope=form_data.get("scope") or "read",
                )
                name = key.name
            self._reload()
        except ServiceError as exc:
            fields = field_errors(exc)
            self.create_errors = {k: v for k, v in fields.items() if k in ("name", "scope")}
            self.create_error = "" if self.create_errors else exc.message
            self.creating = False
            return
        self.creating = False
        self.new_secret = secret
        self.new_secret_name = name
        yield rx.set_value("api-key-name", "")

    @rx.event
    def dismiss_secret(self):
        self.new_secret = ""
        self.new_secret_name = ""

    @rx.event
    def ask_revoke(self, key_id: str, name: str):
        self.revoke_id = key_id
        self.revoke_name = name
        self.revoke_error = ""

    @rx.event
    def set_revoke_open(self, open: bool):
        if not open:
            self.revoke_id = ""
            self.revoke_error = ""

    @rx.event
    def revoke_api_key(self) -> Iterator:
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                api_keys.revoke_api_key(session, principal, self.revoke_id)
            self._reload()
        except ServiceError as exc:
            self.revoke_error = exc.message
            return
        name, self.revoke_id = self.revoke_name, ""
        yield rx.toast.success(f"Revoked “{name}”: programs using it are refused from now on.")
