"""People and how they prove who they are: profiles, credentials, identities, sessions, API keys."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from promptrepo.models.common import (
    UTCDateTime,
    check_in,
    created_field,
    fk_field,
    id_field,
    updated_field,
)

ROLES = ("user", "admin")
THEMES = ("light", "dark", "system")
API_KEY_SCOPES = ("read", "write")

Role = Literal["user", "admin"]
Theme = Literal["light", "dark", "system"]


class Profile(SQLModel, table=True):
    """A user of PromptRepo (the seed's `profiles`)."""

    __tablename__ = "profiles"
    __table_args__ = (
        check_in("role", ROLES, "role"),
        check_in("theme_preference", THEMES, "theme_preference"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: uuid.UUID = id_field()
    email: str = Field(max_length=320, unique=True)
    name: str = Field(max_length=100)
    role: str = Field(default="user", max_length=16)
    theme_preference: str = Field(default="system", max_length=16)
    suspended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class Credential(SQLModel, table=True):
    """A local password (argon2id hash) for a profile when AUTH_PROVIDER=local."""

    __tablename__ = "credentials"

    user_id: uuid.UUID = Field(primary_key=True, foreign_key="profiles.id", ondelete="CASCADE")
    password_hash: str = Field(max_length=255)
    password_changed_at: datetime = created_field()


class Identity(SQLModel, table=True):
    """Links a profile to an external identity provider's subject (e.g. a Supabase user id)."""

    __tablename__ = "identities"
    __table_args__ = (
        sa.UniqueConstraint("provider", "subject", name="uq_identities_provider_subject"),
    )

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("profiles.id")
    provider: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    created_at: datetime = created_field()


class AuthSession(SQLModel, table=True):
    """A signed-in browser or API client; the bearer token is stored only as its SHA-256."""

    __tablename__ = "auth_sessions"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("profiles.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str = Field(default="", max_length=255)
    ip_address: str = Field(default="", max_length=64)


PUBLIC_KEY_PREFIX = "pk-"


class ApiKey(SQLModel, table=True):
    """A program's credential (`pr_...`); only its SHA-256 is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (check_in("scope", API_KEY_SCOPES, "scope"),)

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("profiles.id")
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    scope: str = Field(default="read", max_length=8)
    # A project key reaches only this project (None: every project of the user).
    project_id: uuid.UUID | None = fk_field("projects.id", nullable=True)
    # Not a secret: names the key (HTTP Basic's user name for the Langfuse-compatible API).
    public_key: str = Field(
        default_factory=lambda: PUBLIC_KEY_PREFIX + secrets.token_hex(16),
        max_length=40,
        unique=True,
    )
    created_at: datetime = created_field()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
