"""Who did what, when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from promptrepo.models.common import JSONType, created_field, fk_field, id_field


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_target", "target_type", "target_id"),
        sa.Index("ix_audit_log_created_at", "created_at"),
    )

    id: uuid.UUID = id_field()
    actor_id: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    created_at: datetime = created_field()
