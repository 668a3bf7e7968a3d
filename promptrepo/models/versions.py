"""Immutable snapshots of a prompt, and labels that point at them (`production` = published)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from promptrepo.models.common import (
    JSONType,
    check_in,
    created_field,
    fk_field,
    id_field,
    updated_field,
)
from promptrepo.models.projects import PROMPT_TYPES

PRODUCTION_LABEL = "production"


class Version(SQLModel, table=True):
    __tablename__ = "versions"
    __table_args__ = (
        sa.UniqueConstraint("prompt_id", "version", name="uq_versions_prompt_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        check_in("type", PROMPT_TYPES, "type"),
    )

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    version: int
    content: str = Field(sa_type=sa.Text)
    variables: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    validators: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    type: str = Field(default="text", max_length=8)
    messages: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    config: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    commit_message: str = Field(default="", max_length=500)
    author_id: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    is_published: bool = Field(default=False)
    created_at: datetime = created_field()


class VersionLabel(SQLModel, table=True):
    """A movable pointer from a prompt to one of its versions."""

    __tablename__ = "version_labels"
    __table_args__ = (
        sa.UniqueConstraint("prompt_id", "name", name="uq_version_labels_prompt_name"),
    )

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    version_id: uuid.UUID = fk_field("versions.id", ondelete="NO ACTION")
    name: str = Field(max_length=36)
    updated_by: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    updated_at: datetime = updated_field()
