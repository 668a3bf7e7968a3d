"""Signed webhooks: a project's endpoints and the durable queue of their deliveries."""

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

WEBHOOK_EVENTS = ("version.created", "label.moved", "prompt.deleted")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Webhook(SQLModel, table=True):
    """An endpoint of a project that receives the events it subscribed to."""

    __tablename__ = "webhooks"

    id: uuid.UUID = id_field()
    project_id: uuid.UUID = fk_field("projects.id")
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    # The signing secret (`whsec_…`); shown to the owner once, kept to sign every delivery.
    secret: str = Field(max_length=100)
    created_at: datetime = created_field()
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: queued, retried with backoff for 24 h, logged."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        check_in("status", DELIVERY_STATUSES, "status"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: uuid.UUID = id_field()
    webhook_id: uuid.UUID = fk_field("webhooks.id")
    project_id: uuid.UUID = fk_field("projects.id")
    message_id: str = Field(max_length=64)  # webhook-id: the same on every retry
    event_type: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = created_field()
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_field()
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
