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

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

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
