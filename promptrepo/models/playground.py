"""The playground: provider connections, a price table, runs, and test cases with their runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from promptrepo.models.common import (
    JSONType,
    UTCDateTime,
    check_in,
    created_field,
    fk_field,
    id_field,
)

RUN_STATUSES = ("running", "done", "error", "stopped")


class ProviderConnection(SQLModel, table=True):
    """An OpenAI-compatible endpoint a user runs prompts against. The API key is stored only
    encrypted (Fernet, key derived from SECRET_KEY) and never sent back to a page."""

    __tablename__ = "provider_connections"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "name", name="uq_provider_connections_user_name"),
    )

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("profiles.id")
    name: str = Field(max_length=60)
    base_url: str = Field(max_length=500)
    api_key_encrypted: str = Field(default="", sa_type=sa.Text)
    default_model: str = Field(default="", max_length=200)
    created_at: datetime = created_field()


class ModelPrice(SQLModel, table=True):
    """What a model costs the user, in US dollars per million tokens."""

    __tablename__ = "model_prices"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "model", name="uq_model_prices_user_model"),
        sa.CheckConstraint(
            "input_per_million >= 0 AND output_per_million >= 0", name="prices_not_negative"
        ),
    )

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("profiles.id")
    model: str = Field(max_length=200)
    input_per_million: float = Field(default=0.0)
    output_per_million: float = Field(default=0.0)


class PlaygroundRun(SQLModel, table=True):
    """One run of a prompt against a model: what was sent, what came back, and how fast."""

    __tablename__ = "playground_runs"
    __table_args__ = (
        check_in("status", RUN_STATUSES, "status"),
        sa.Index("ix_playground_runs_prompt_created", "prompt_id", "created_at"),
    )

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    user_id: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    version: int | None = Field(default=None)  # None: the draft at `revision`
    revision: int | None = Field(default=None)
    provider: str = Field(max_length=60)
    model: str = Field(default="", max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    placeholders: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    config: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    messages: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    output: str = Field(default="", sa_type=sa.Text)
    status: str = Field(default="running", max_length=8)
    error: str = Field(default="", sa_type=sa.Text)
    input_tokens: int | None = Field(default=None)
    output_tokens: int | None = Field(default=None)
    first_token_ms: float | None = Field(default=None)
    total_ms: float | None = Field(default=None)
    cost: float | None = Field(default=None)
    created_at: datetime = created_field()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TestCase(SQLModel, table=True):
    """A named input for a prompt (variable values, placeholder messages) and the checks its
    model output must pass."""

    __tablename__ = "test_cases"
    __test__ = False  # not a pytest class
    __table_args__ = (sa.UniqueConstraint("prompt_id", "name", name="uq_test_cases_prompt_name"),)

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    name: str = Field(max_length=100)
    variables: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    placeholders: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    expectations: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSONType, nullable=False
    )
    order: int = Field(default=0)
    created_at: datetime = created_field()


class TestRun(SQLModel, table=True):
    """ "Run all" of a prompt's cases against a version (or the draft): the results grid."""

    __tablename__ = "test_runs"
    __test__ = False
    __table_args__ = (sa.Index("ix_test_runs_prompt_created", "prompt_id", "created_at"),)

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    version_id: uuid.UUID | None = fk_field("versions.id", nullable=True)
    revision: int | None = Field(default=None)
    user_id: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    provider: str = Field(max_length=60)
    model: str = Field(default="", max_length=200)
    total: int = Field(default=0)
    passed: int = Field(default=0)
    results: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    created_at: datetime = created_field()
