"""Plans and subscriptions, and every Stripe webhook event as received."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from promptrepo.models.common import (
    JSONType,
    UTCDateTime,
    check_in,
    created_field,
    fk_field,
    id_field,
    updated_field,
)

PLANS = ("free", "pro", "enterprise")
BILLING_STATUSES = ("active", "trialing", "past_due", "canceled", "incomplete", "unpaid")


class Billing(SQLModel, table=True):
    __tablename__ = "billing"
    __table_args__ = (
        check_in("plan", PLANS, "plan"),
        check_in("status", BILLING_STATUSES, "status"),
    )

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("profiles.id", unique=True)
    stripe_customer_id: str | None = Field(default=None, max_length=255, unique=True)
    stripe_subscription_id: str | None = Field(default=None, max_length=255)
    plan: str = Field(default="free", max_length=16)
    status: str = Field(default="active", max_length=16)
    current_period_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Stripe's `created` time of the newest event applied to this row: older ones change
    # nothing (events arrive out of order).
    stripe_event_created: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class StripeEvent(SQLModel, table=True):
    """Stored before it is processed, so processing is idempotent and auditable."""

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    verified: bool = Field(default=False)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=2000)
    received_at: datetime = created_field()
