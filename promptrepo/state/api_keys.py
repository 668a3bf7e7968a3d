"""/settings → API keys: create one (for all projects or one; its secret is shown once, with its
public key and the Langfuse SDK's environment), list them, revoke one.

Thin: every handler re-checks the signed-in user and calls services/api_keys.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import reflex as rx

from promptrepo.db import session_scope
from promptrepo.formatting import format_timestamp
from promptrepo.models import ApiKey, Project
from promptrepo.services import api_keys, projects
from promptrepo.services.errors import ServiceError
from promptrepo.settings import settings
from promptrepo.state.auth import field_errors
from promptrepo.state.base import AppState

ALL_PROJECTS = "all"
PROJECT_CHOICES = 100


@dataclasses.dataclass
class KeyRow:
    id: str = ""
    name: str = ""
    prefix: str = ""
    public_key: str = ""
    scope: str = "read"
    project: str = ""  # the project's name for a project key, "" for all projects
    created: str = ""
    last_used: str = ""


@dataclasses.dataclass
class ProjectChoice:
    id: str = ""
    name: str = ""


def _row(key: ApiKey, project_names: dict[str, str]) -> KeyRow:
    return KeyRow(
        id=str(key.id),
        name=key.name,
        prefix=key.prefix,
        public_key=key.public_key,
        scope=key.scope,
        project=project_names.get(str(key.project_id), "") if key.project_id else "",
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
    new_public_key: str = ""
    new_key_project: str = ""
    # The user's projects, for the "Project" choice of a new key (first page, by name).
    project_choices: list[ProjectChoice] = []
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
            owned = projects.list_projects(
                session, principal, sort="name", per_page=PROJECT_CHOICES
            ).items
            names = {str(p.id): p.name for p in owned}
            keys = api_keys.list_api_keys(session, principal)
            missing = {
                k.project_id for k in keys if k.project_id and str(k.project_id) not in names
            }
            for project_id in missing:  # keys of projects beyond the first page of choices
                project = session.get(Project, project_id)
                if project is not None:
                    names[str(project_id)] = project.name
        self.project_choices = [ProjectChoice(str(p.id), p.name) for p in owned]
        self.keys = [_row(k, names) for k in keys]

    @rx.var
    def langfuse_snippet(self) -> str:
        """The environment a Langfuse SDK user sets to use PromptRepo (the new key)."""
        return (
            f"LANGFUSE_BASE_URL={settings.public_url.rstrip('/')}\n"
            f"LANGFUSE_PUBLIC_KEY={self.new_public_key}\n"
            f"LANGFUSE_SECRET_KEY={self.new_secret}\n"
            "LANGFUSE_TRACING_ENABLED=false"
        )

    @rx.event
    def create_api_key(self, form_data: dict[str, Any]) -> Iterator:
        self.creating = True
        self.create_error = ""
        self.create_errors = {}
        yield
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                project_id = form_data.get("project") or ALL_PROJECTS
                key, secret = api_keys.create_api_key(
                    session,
                    principal,
                    name=form_data.get("name", ""),
                    scope=form_data.get("scope") or "read",
                    project_id=None if project_id == ALL_PROJECTS else project_id,
                )
                name, public_key = key.name, key.public_key
                project = session.get(Project, key.project_id) if key.project_id else None
                project_name = project.name if project else ""
            self._reload()
        except ServiceError as exc:
            fields = field_errors(exc)
            self.create_errors = {
                k: v for k, v in fields.items() if k in ("name", "scope", "project")
            }
            self.create_error = "" if self.create_errors else exc.message
            self.creating = False
            return
        self.creating = False
        self.new_secret = secret
        self.new_secret_name = name
        self.new_public_key = public_key
        self.new_key_project = project_name
        yield rx.set_value("api-key-name", "")

    @rx.event
    def dismiss_secret(self):
        self.new_secret = ""
        self.new_secret_name = ""
        self.new_public_key = ""

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
