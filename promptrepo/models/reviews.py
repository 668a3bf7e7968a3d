"""Reviewed releases and in-app notifications (issue 16 item 2; migration 0019).

A project with `production_needs_review` moves `production` only through a proposal: someone
with edit rights proposes (a version, a traffic split, or removing the label) with a message;
another owner or editor approves (the move then happens through `releases.promote` /
`splits.set_split`) or rejects it; the proposer may withdraw it. `base` records what was live
when it was proposed, so an approval after the label moved elsewhere is refused as stale.

A notification is one line in someone's bell: what happened (`kind`, `text`) and where to look
(`link`); `read_at` is set when they mark it read.
"""

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

PROPOSAL_STATUSES = ("open", "approved", "rejected", "withdrawn")


class ReleaseProposal(SQLModel, table=True):
    __tablename__ = "release_proposals"
    __table_args__ = (
        check_in("status", PROPOSAL_STATUSES, "status"),
        sa.Index("ix_release_proposals_prompt_status", "prompt_id", "status", "created_at"),
    )

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    label: str = Field(max_length=36)
    # what it proposes: one version, or a split (`arms`: [{version, weight}]), or neither
    # (removing the label)
    to_version: int | None = Field(default=None)
    arms: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    # what was live when proposed: "v3", "v3 90% / v4 10%" or "" (nothing)
    base: str = Field(default="", max_length=100)
    message: str = Field(default="", max_length=500)
    proposer_id: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    status: str = Field(default="open", max_length=16)
    decided_by: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    decision_reason: str = Field(default="", max_length=500)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = created_field()


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("profiles.id")
    # the project it is about (deleted with it); its team may notify each other
    project_id: uuid.UUID | None = fk_field("projects.id", nullable=True)
    kind: str = Field(max_length=40)
    text: str = Field(max_length=500)
    link: str = Field(default="", max_length=500)
    actor_id: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = created_field()
