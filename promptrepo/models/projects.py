"""The content: projects made of ordered segments, made of ordered prompts, with validators."""

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

VALIDATOR_TYPES = ("regex", "length", "contains", "custom")
PROMPT_TYPES = ("text", "chat")


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "name", name="uq_projects_user_name"),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 100", name="name_length"),
        sa.Index("ix_projects_user_updated", "user_id", "updated_at"),
        sa.Index("ix_projects_public_forks", "is_public", "fork_count"),
    )

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("profiles.id")
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    is_public: bool = Field(default=False)
    forked_from_id: uuid.UUID | None = fk_field("projects.id", ondelete="SET NULL", nullable=True)
    fork_count: int = Field(default=0)
    # Moving `production` also needs every test case to pass (services/testcases.py).
    require_passing_tests: bool = Field(default=False)
    # Moving `production` needs another member's approval (services/reviews.py).
    production_needs_review: bool = Field(default=False)
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class Segment(SQLModel, table=True):
    __tablename__ = "segments"
    __table_args__ = (sa.Index("ix_segments_project_order", "project_id", "order"),)

    id: uuid.UUID = id_field()
    project_id: uuid.UUID = fk_field("projects.id")
    name: str = Field(max_length=100)
    order: int = Field(default=0)
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class Prompt(SQLModel, table=True):
    """A prompt's working draft. `revision` grows with every save (optimistic concurrency)."""

    __tablename__ = "prompts"
    __table_args__ = (
        sa.Index("ix_prompts_segment_order", "segment_id", "order"),
        # Find anything (services/search.py, migration 0013): full text, PostgreSQL only.
        # Written as PostgreSQL reflects it back, so that autogenerate sees no difference.
        sa.Index(
            "ix_prompts_search",
            sa.text("to_tsvector('simple'::regconfig, (name::text || ' '::text) || content)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "template_dialect IN ('jinja2', 'jinja2-trim', 'jinja2-lines')",
            name="template_dialect_known",
        ),
        check_in("type", PROMPT_TYPES, "type"),
    )

    id: uuid.UUID = id_field()
    segment_id: uuid.UUID = fk_field("segments.id")
    name: str = Field(max_length=100)
    content: str = Field(default="", sa_type=sa.Text)
    variables: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    # `text`: `content` is the template. `chat`: `messages` ({role, content} or
    # {type: placeholder, name}) are the template and `content` stays empty.
    type: str = Field(default="text", max_length=8)
    messages: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    config: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    order: int = Field(default=0)
    revision: int = Field(default=1)
    # how whitespace around block tags renders (services/templates.py: dialects); new
    # prompts drop the lines of block tags, prompts made before dialects keep "jinja2"
    # (migration 0006), those made before "jinja2-lines" keep "jinja2-trim" (0022)
    template_dialect: str = Field(default="jinja2-lines", max_length=16)
    # short lowercase labels for finding and filtering (services/tags.py; migration 0017)
    tags: list[str] = Field(
        default_factory=list,
        sa_type=JSONType,
        nullable=False,
        sa_column_kwargs={"server_default": sa.text("'[]'")},
    )
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class Validator(SQLModel, table=True):
    __tablename__ = "validators"
    __table_args__ = (check_in("type", VALIDATOR_TYPES, "type"),)

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    type: str = Field(max_length=16)
    config: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    order: int = Field(default=0)
    created_at: datetime = created_field()
