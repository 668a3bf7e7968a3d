"""Project-scoped API keys with a public key; signed webhooks and their delivery queue.

- `api_keys.project_id` (a project key reaches only that project) and `api_keys.public_key`
  (`pk-…`, not secret: the user name of the Langfuse-compatible API's HTTP Basic). Existing
  keys get a public key each.
- `webhooks` (a project's endpoints) and `webhook_deliveries` (the durable queue and log).
  Both are private to the project's owner under row-level security on PostgreSQL, even for a
  public project (the secret signs deliveries; the log shows the receiver's answers).

Revision ID: 0007
Revises: 0006
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op

from promptrepo.db_policies import secure_table

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
AutoString = sqlmodel.sql.sqltypes.AutoString

# table -> (read condition, write condition); the worker delivers as promptrepo_system.
POLICIES = {
    "webhooks": ("app_owns_project(project_id)", "app_owns_project(project_id)"),
    "webhook_deliveries": ("app_owns_project(project_id)", "app_owns_project(project_id)"),
}


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("public_key", AutoString(length=40), nullable=True))
    keys = sa.table("api_keys", sa.column("id", sa.Uuid()), sa.column("public_key", sa.String))
    bind = op.get_bind()
    for (key_id,) in bind.execute(sa.select(keys.c.id)).all():
        bind.execute(
            keys.update()
            .where(keys.c.id == key_id)
            .values(public_key="pk-" + secrets.token_hex(16))
        )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column("public_key", existing_type=AutoString(length=40), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_api_keys_public_key"), ["public_key"])
        batch_op.create_index(batch_op.f("ix_api_keys_project_id"), ["project_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_project_id_projects"),
            "projects",
            ["project_id"],
            ["id"],
            ondelete="CASCADE",
        )

    op.create_table(
        "webhooks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("url", AutoString(length=2000), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("secret", AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_webhooks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhooks_project_id"), ["project_id"], unique=False)

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("webhook_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", AutoString(length=64), nullable=False),
        sa.Column("event_type", AutoString(length=32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "\"status\" IN ('pending', 'delivered', 'failed')",
            name=op.f("ck_webhook_deliveries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_webhook_deliveries_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_deliveries_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_webhook_id"), ["webhook_id"], unique=False
        )
        batch_op.create_index(
            "ix_webhook_deliveries_due", ["status", "next_attempt_at"], unique=False
        )

    for table, (read, write) in POLICIES.items():
        secure_table(op, table, {"SELECT": read, "INSERT": write, "UPDATE": write, "DELETE": write})


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_keys_project_id_projects"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_api_keys_project_id"))
        batch_op.drop_constraint(batch_op.f("uq_api_keys_public_key"), type_="unique")
        batch_op.drop_column("public_key")
        batch_op.drop_column("project_id")
