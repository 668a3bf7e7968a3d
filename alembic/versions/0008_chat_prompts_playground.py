"""Chat prompts, model settings, the playground, and test cases.

Prompts and versions get `type` (text | chat, existing rows stay `text`), `messages` and
`config`; projects get `require_passing_tests`. New tables: provider_connections and
model_prices (per user), playground_runs, test_cases and test_runs (per prompt), each with
row-level-security policies on PostgreSQL like 0002's. Nothing existing is converted.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 13:01:33.026383
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from promptrepo.db_policies import secure_table
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_prices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("input_per_million", sa.Float(), nullable=False),
        sa.Column("output_per_million", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "input_per_million >= 0 AND output_per_million >= 0",
            name=op.f("ck_model_prices_prices_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["profiles.id"],
            name=op.f("fk_model_prices_user_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_prices")),
        sa.UniqueConstraint("user_id", "model", name="uq_model_prices_user_model"),
    )
    with op.batch_alter_table("model_prices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_prices_user_id"), ["user_id"], unique=False)

    op.create_table(
        "provider_connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("base_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=False),
        sa.Column("default_model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["profiles.id"],
            name=op.f("fk_provider_connections_user_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_connections")),
        sa.UniqueConstraint("user_id", "name", name="uq_provider_connections_user_name"),
    )
    with op.batch_alter_table("provider_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_connections_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "playground_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "placeholders",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "messages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("first_token_ms", sa.Float(), nullable=True),
        sa.Column("total_ms", sa.Float(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "\"status\" IN ('running', 'done', 'error', 'stopped')",
            name=op.f("ck_playground_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_playground_runs_prompt_id_prompts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["profiles.id"],
            name=op.f("fk_playground_runs_user_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playground_runs")),
    )
    with op.batch_alter_table("playground_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_playground_runs_prompt_created", ["prompt_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_playground_runs_prompt_id"), ["prompt_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_playground_runs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "test_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "placeholders",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "expectations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_test_cases_prompt_id_prompts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_cases")),
        sa.UniqueConstraint("prompt_id", "name", name="uq_test_cases_prompt_name"),
    )
    with op.batch_alter_table("test_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_test_cases_prompt_id"), ["prompt_id"], unique=False)

    op.create_table(
        "test_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column(
            "results",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_test_runs_prompt_id_prompts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["profiles.id"],
            name=op.f("fk_test_runs_user_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_test_runs_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_runs")),
    )
    with op.batch_alter_table("test_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_test_runs_prompt_created", ["prompt_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_test_runs_prompt_id"), ["prompt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_test_runs_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_test_runs_version_id"), ["version_id"], unique=False)

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "require_passing_tests", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )

    with op.batch_alter_table("prompts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "type",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="text",
            )
        )
        batch_op.add_column(
            sa.Column(
                "messages",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )
        batch_op.add_column(
            sa.Column(
                "config",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="{}",
            )
        )
        batch_op.create_check_constraint(op.f("ck_prompts_type"), "\"type\" IN ('text', 'chat')")

    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "type",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="text",
            )
        )
        batch_op.add_column(
            sa.Column(
                "messages",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )
        batch_op.add_column(
            sa.Column(
                "config",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="{}",
            )
        )
        batch_op.create_check_constraint(op.f("ck_versions_type"), "\"type\" IN ('text', 'chat')")

    _row_level_security()


# table -> (read condition, write condition) for the app role (db_policies.secure_table).
POLICIES = {
    "provider_connections": ("user_id = app_user_id()", "user_id = app_user_id()"),
    "model_prices": ("user_id = app_user_id()", "user_id = app_user_id()"),
    # Runs hold the owner's provider output: only the project's owner sees them.
    "playground_runs": (
        "app_owns_project(app_prompt_project(prompt_id))",
        "app_owns_project(app_prompt_project(prompt_id))",
    ),
    # Cases and their results travel with the prompt: readable where the prompt is.
    "test_cases": (
        "app_can_read_project(app_prompt_project(prompt_id))",
        "app_owns_project(app_prompt_project(prompt_id))",
    ),
    "test_runs": (
        "app_can_read_project(app_prompt_project(prompt_id))",
        "app_owns_project(app_prompt_project(prompt_id))",
    ),
}


def _row_level_security() -> None:
    for table, (read, write) in POLICIES.items():
        secure_table(op, table, {"SELECT": read, "INSERT": write, "UPDATE": write, "DELETE": write})


def downgrade() -> None:
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_versions_type"), type_="check")
        batch_op.drop_column("config")
        batch_op.drop_column("messages")
        batch_op.drop_column("type")

    with op.batch_alter_table("prompts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_prompts_type"), type_="check")
        batch_op.drop_column("config")
        batch_op.drop_column("messages")
        batch_op.drop_column("type")

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("require_passing_tests")

    with op.batch_alter_table("test_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_test_runs_version_id"))
        batch_op.drop_index(batch_op.f("ix_test_runs_user_id"))
        batch_op.drop_index(batch_op.f("ix_test_runs_prompt_id"))
        batch_op.drop_index("ix_test_runs_prompt_created")

    op.drop_table("test_runs")
    with op.batch_alter_table("test_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_test_cases_prompt_id"))

    op.drop_table("test_cases")
    with op.batch_alter_table("playground_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playground_runs_user_id"))
        batch_op.drop_index(batch_op.f("ix_playground_runs_prompt_id"))
        batch_op.drop_index("ix_playground_runs_prompt_created")

    op.drop_table("playground_runs")
    with op.batch_alter_table("provider_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_connections_user_id"))

    op.drop_table("provider_connections")
    with op.batch_alter_table("model_prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_prices_user_id"))

    op.drop_table("model_prices")
