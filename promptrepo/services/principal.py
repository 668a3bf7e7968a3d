"""The acting user, the same whichever auth provider or channel (UI, API key, token)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from promptrepo.services.errors import NotAuthenticated, PermissionDenied


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    email: str
    name: str
    role: str = "user"
    # "read" or "write" for API keys; None for a signed-in session (full access).
    api_key_scope: str | None = None
    # A project-scoped API key reaches only this project (None: every project of the user).
    api_key_project_id: uuid.UUID | None = None
    # The key's public id (`pk-…`), checked against HTTP Basic's user name (Langfuse API).
    api_key_public_key: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def reaches_project(self, project_id: uuid.UUID | str) -> bool:
        """False when a project-scoped API key asks about another project."""
        return self.api_key_project_id is None or str(self.api_key_project_id) == str(project_id)

    @property
    def can_write(self) -> bool:
        return self.api_key_scope in (None, "write")


def require_user(principal: Principal | None) -> Principal:
    if principal is None:
        raise NotAuthenticated("Please log in.")
    return principal


def require_write(principal: Principal | None) -> Principal:
    principal = require_user(principal)
    if not principal.can_write:
        raise PermissionDenied("This API key is read-only.")
    return principal


def require_admin(principal: Principal | None) -> Principal:
    principal = require_user(principal)
    if not principal.is_admin:
        raise PermissionDenied("Administrators only.")
    return principal
