"""Find anything: a full-text index over prompts' name and content (PostgreSQL only).

A GIN index on `to_tsvector('simple', name || ' ' || content)`, the exact expression
services/search.py queries. No new table, so no new row-level-security policies: searches
read `prompts` through its existing policies. SQLite searches with LIKE and gets no index.

Revision ID: 0013
Revises: 0008
Create Date: 2026-11-30 14:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_prompts_search ON prompts "
        "USING gin (to_tsvector('simple', name || ' ' || content))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_prompts_search")
