"""Label history, and the template dialect of prompts and versions.

`label_events`: every move of a label (who, from which version, to which, when, why).

`label_events` is append-only: the editor's Promote dialog and the API write one row per
publish, rollback, label move or removal, and show the label's history from it. On
PostgreSQL, readers of the project read its history; only the owner adds to it; nobody
updates a row (no UPDATE policy).

`template_dialect` on prompts and versions: how whitespace around block tags renders
(services/templates.py). Every existing row keeps "jinja2" (rendered exactly as before);
new prompts get "jinja2-trim" from the model.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

from promptrepo.db_policies import secure_table

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ = "app_can_read_project(app_prompt_project(prompt_id))"
WRITE = "app_owns_project(app_prompt_project(prompt_id))"


DIALECT_CHECK = "template_dialect IN ('jinja2', 'jinja2-trim')"


def upgrade() -> None:
    for table in ("prompts", "versions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "template_dialect",
                    sqlmodel.sql.sqltypes.AutoString(length=16),
                    nullable=False,
                    server_default="jinja2",
                )
            )
            batch_op.create_check_constraint(
                op.f(f"ck_{table}_template_dialect_known"), DIALECT_CHECK
            )
    op.create_table(
        "label_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "from_version IS NOT NULL OR to_version IS NOT NULL",
            name=op.f("ck_label_events_label_event_moves"),
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_label_events_prompt_id_prompts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["profiles.id"],
            name=op.f("fk_label_events_actor_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_events")),
    )
    with op.batch_alter_table("label_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_events_prompt_id"), ["prompt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_label_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            "ix_label_events_prompt_label_created",
            ["prompt_id", "label", "created_at"],
            unique=False,
        )
    # Readers of the project read its history; only the owner adds to it; no UPDATE at all.
    secure_table(op, "label_events", {"SELECT": READ, "INSERT": WRITE, "DELETE": WRITE})


def downgrade() -> None:
    with op.batch_alter_table("label_events", schema=None) as batch_op:
        batch_op.drop_index("ix_label_events_prompt_label_created")
        batch_op.drop_index(batch_op.f("ix_label_events_actor_id"))
        batch_op.drop_index(batch_op.f("ix_label_events_prompt_id"))
    op.drop_table("label_events")
    for table in ("versions", "prompts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_template_dialect_known"), type_="check")
            batch_op.drop_column("template_dialect")
