"""fork_count under row-level security: a function that recounts a project's forks.

Forking someone's public project must update *their* row's fork_count, which the
`projects_update` policy rightly forbids to the forker. `app_refresh_fork_count(pid)` runs
as the table owner (SECURITY DEFINER) but can only set the count to the truth (the number
of projects whose forked_from_id is pid), so calling it grants nothing else. It locks the
original's row first, so two forks committing at once both get counted.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "promptrepo_user"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE OR REPLACE FUNCTION app_refresh_fork_count(pid uuid) RETURNS integer
           LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
           DECLARE n integer;
           BEGIN
             PERFORM 1 FROM projects WHERE id = pid FOR UPDATE;
             SELECT count(*) INTO n FROM projects WHERE forked_from_id = pid;
             UPDATE projects SET fork_count = n WHERE id = pid;
             RETURN n;
           END $$"""
    )
    op.execute(f"GRANT EXECUTE ON FUNCTION app_refresh_fork_count(uuid) TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS app_refresh_fork_count(uuid)")
