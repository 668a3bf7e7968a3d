"""Two rights the app role lacked since 0005: extending an autosave stretch's audit entry,
and reading which migrations are applied (`/api/ready`).

`audit.record_edit` keeps a stretch of autosaves as one entry (revisions from..to, fields,
edit count) by updating the latest entry's `details`. Migration 0005 granted the app role only
SELECT and INSERT on `audit_log`, so on PostgreSQL the second autosave of a stretch failed
("permission denied"). This grants UPDATE of `details` alone, on the acting user's own
`prompt.saved` entries: no other column, no other kind of entry.

`/api/ready` compares `alembic_version` with the code's newest migration; the app role may
read that table (never change it).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op
from promptrepo.db_policies import APP_ROLE

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONDITION = "actor_id = app_user_id() AND action = 'prompt.saved'"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    op.execute(f"GRANT UPDATE (details) ON audit_log TO {APP_ROLE}")
    op.execute(
        f"CREATE POLICY audit_log_user_update ON audit_log FOR UPDATE TO {APP_ROLE} "
        f"USING ({CONDITION}) WITH CHECK ({CONDITION})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS audit_log_user_update ON audit_log")
    op.execute(f"REVOKE UPDATE (details) ON audit_log FROM {APP_ROLE}")
    op.execute(f"REVOKE SELECT ON alembic_version FROM {APP_ROLE}")
