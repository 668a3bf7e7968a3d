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
        sa.CheckConstraint(
            "template_dialect IN ('jinja2', 'jinja2-trim', 'jinja2-lines')",
            name="template_dialect_known",
        ),
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
    # the prompt's dialect when the version was made, so it renders the same forever
    template_dialect: str = Field(default="jinja2", max_length=16)


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


class LabelEvent(SQLModel, table=True):
    """One move of a label (append-only): who pointed it from which version to which, when
    and why. `from_version` is None when the label was created, `to_version` None when it
    was removed. Version numbers, not ids, so the history outlives deleted versions."""

    __tablename__ = "label_events"
    __table_args__ = (
        sa.Index("ix_label_events_prompt_label_created", "prompt_id", "label", "created_at"),
        sa.CheckConstraint(
            "from_version IS NOT NULL OR to_version IS NOT NULL", name="label_event_moves"
        ),
    )

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    label: str = Field(max_length=36)
    from_version: int | None = Field(default=None)
    to_version: int | None = Field(default=None)
    actor_id: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = created_field()


class LabelSplit(SQLModel, table=True):
    """One arm of a traffic split: while a label has split rows, programs asking for it get
    one of these versions, chosen by weight (services/splits.py). `version_labels` keeps its
    one row per label, pointing at the heaviest arm, so code that knows nothing of splits
    still reads a valid label. Moving the label to one version deletes the split."""

    __tablename__ = "label_splits"
    __table_args__ = (
        sa.UniqueConstraint(
            "prompt_id", "label", "version_id", name="uq_label_splits_prompt_label_version"
        ),
        sa.CheckConstraint("weight BETWEEN 1 AND 99", name="weight_in_range"),
    )

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    label: str = Field(max_length=36)
    # NO ACTION, as version_labels: a version serving part of a label cannot be deleted
    version_id: uuid.UUID = fk_field("versions.id", ondelete="NO ACTION")
    weight: int
    created_at: datetime = created_field()
