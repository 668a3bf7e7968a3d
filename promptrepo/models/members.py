"""Teams: who besides the owner may open a project, and the invitations that add them.

The owner stays `projects.user_id`; `project_members` holds everybody else with a role
(`editor` or `viewer`). An invitation is addressed to an e-mail; its link carries a random token
whose SHA-256 alone is stored (`token_hash`), and it ends accepted, declined or revoked, or
expires at `expires_at`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from promptrepo.models.common import UTCDateTime, check_in, created_field, fk_field, id_field

MEMBER_ROLES = ("editor", "viewer")
INVITE_STATUSES = ("pending", "accepted", "declined", "revoked")


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_members"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "user_id", name="uq_project_members_project_user"),
        check_in("role", MEMBER_ROLES, "role"),
    )

    id: uuid.UUID = id_field()
    project_id: uuid.UUID = fk_field("projects.id")
    user_id: uuid.UUID = fk_field("profiles.id")
    role: str = Field(max_length=16)
    invited_by: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    created_at: datetime = created_field()


class ProjectInvite(SQLModel, table=True):
    __tablename__ = "project_invites"
    __table_args__ = (
        check_in("role", MEMBER_ROLES, "role"),
        check_in("status", INVITE_STATUSES, "status"),
        sa.Index("ix_project_invites_email", "email"),
    )

    id: uuid.UUID = id_field()
    project_id: uuid.UUID = fk_field("projects.id")
    email: str = Field(max_length=320)
    role: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    # What the invitee sees before joining (the project itself is hidden from them till then).
    project_name: str = Field(default="", max_length=100)
    invited_by_name: str = Field(default="", max_length=200)
    invited_by: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    status: str = Field(default="pending", max_length=16)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = created_field()
