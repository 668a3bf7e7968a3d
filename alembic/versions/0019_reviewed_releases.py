"""Reviewed releases and notifications (issue 16 item 2).

- `projects.production_needs_review`: when on, `production` moves only through an approved
  proposal (services/reviews.py).
- `release_proposals`: a proposed move of a label (a version, a split, or removal) with a
  message, what was live then (`base`), its status (open / approved / rejected / withdrawn)
  and the decision. The project's team reads them; owners and editors propose and decide
  (the service refuses self-approval and checks who may withdraw).
- `notifications`: one line in a user's bell. Each user reads, marks read and deletes only
  their own; a team member may add one for another person of the same project (the
  proposal told to reviewers, the decision told to the proposer), checked through
  `app_member_profiles(project_id)`, which lists a project's people only to its members.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from promptrepo.db_policies import secure_table

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEAM = "app_project_role(app_prompt_project(prompt_id)) IS NOT NULL"
EDIT = "app_can_edit_project(app_prompt_project(prompt_id))"
MINE = "user_id = app_user_id()"
TEAMMATE = (
    "user_id = app_user_id() OR (project_id IS NOT NULL AND user_id IN "
    "(SELECT m.user_id FROM app_member_profiles(project_id) m))"
)


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "production_needs_review", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "release_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column(
            "arms",
            sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("base", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("proposer_id", sa.Uuid(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "\"status\" IN ('open', 'approved', 'rejected', 'withdrawn')",
            name=op.f("ck_release_proposals_status"),
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_release_proposals_prompt_id_prompts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposer_id"],
            ["profiles.id"],
            name=op.f("fk_release_proposals_proposer_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["profiles.id"],
            name=op.f("fk_release_proposals_decided_by_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_proposals")),
    )
    with op.batch_alter_table("release_proposals", schema=None) as batch_op:
        for column in ("prompt_id", "proposer_id", "decided_by"):
            batch_op.create_index(batch_op.f(f"ix_release_proposals_{column}"), [column])
        batch_op.create_index(
            "ix_release_proposals_prompt_status", ["prompt_id", "status", "created_at"]
        )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["profiles.id"],
            name=op.f("fk_notifications_user_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_notifications_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["profiles.id"],
            name=op.f("fk_notifications_actor_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for column in ("user_id", "project_id", "actor_id"):
            batch_op.create_index(batch_op.f(f"ix_notifications_{column}"), [column])
        batch_op.create_index("ix_notifications_user_created", ["user_id", "created_at"])
    secure_table(
        op,
        "release_proposals",
        {
            "SELECT": TEAM,
            "INSERT": f"{EDIT} AND proposer_id = app_user_id()",
            "UPDATE (status, decided_by, decision_reason, decided_at)": EDIT,
        },
    )
    secure_table(
        op,
        "notifications",
        {"SELECT": MINE, "INSERT": TEAMMATE, "UPDATE (read_at)": MINE, "DELETE": MINE},
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("release_proposals")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("production_needs_review")
