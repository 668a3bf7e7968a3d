"""Traffic splits: a label can serve several versions by weight (production = v3 90 %, v4 10 %).

`label_splits` holds one row per arm (prompt, label, version, weight 1–99; the arms of a label
sum to 100, checked by services/splits.py under the prompt's lock). `version_labels` keeps its
one row per label, pointing at the heaviest arm, so code that knows nothing of splits still
reads a valid label. Moving the label to one version deletes its split rows.

On PostgreSQL, readers of the project read the split (the prompt page shows it); only the owner
adds or removes arms; rows are never updated (a new split replaces the old rows).

Revision ID: 0016
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from promptrepo.db_policies import secure_table

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ = "app_can_read_project(app_prompt_project(prompt_id))"
WRITE = "app_owns_project(app_prompt_project(prompt_id))"


def upgrade() -> None:
    op.create_table(
        "label_splits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weight BETWEEN 1 AND 99", name=op.f("ck_label_splits_weight_in_range")),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_label_splits_prompt_id_prompts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_label_splits_version_id_versions"),
            ondelete="NO ACTION",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_splits")),
        sa.UniqueConstraint(
            "prompt_id", "label", "version_id", name="uq_label_splits_prompt_label_version"
        ),
    )
    with op.batch_alter_table("label_splits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_splits_prompt_id"), ["prompt_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_label_splits_version_id"), ["version_id"], unique=False
        )
    secure_table(op, "label_splits", {"SELECT": READ, "INSERT": WRITE, "DELETE": WRITE})


def downgrade() -> None:
    with op.batch_alter_table("label_splits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_splits_version_id"))
        batch_op.drop_index(batch_op.f("ix_label_splits_prompt_id"))
    op.drop_table("label_splits")
