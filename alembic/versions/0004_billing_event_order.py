"""billing.stripe_event_created: Stripe events are applied by their own time, not arrival.

Stripe delivers events out of order and retries late. Each billing row remembers the
`created` time of the newest event applied to it; an older event is stored but changes
nothing (services/billing.py). The column belongs to the existing `billing` table, whose
row-level-security policies (0002) already cover it.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("billing") as batch:
        batch.add_column(
            sa.Column("stripe_event_created", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("billing") as batch:
        batch.drop_column("stripe_event_created")
