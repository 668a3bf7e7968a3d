"""Find anything, part two: tags on prompts, and SQLite full text (FTS5).

- `prompts.tags`: a JSON list of short lowercase labels (services/tags.py), `[]` by default.
  No new table: tags are read and written through `prompts`' existing row-level-security
  policies.
- SQLite only: `prompts_fts`, an FTS5 table of every prompt's id, name and content, kept in
  step with `prompts` by three triggers, so services/search.py matches word prefixes through
  an index as PostgreSQL does with its GIN index (migration 0013). PostgreSQL is unchanged.

  The FTS table holds its own copy of the text (not `content='prompts'`): an external-content
  table is keyed by rowid, and `prompts` has no INTEGER PRIMARY KEY, so its rowids may change
  on VACUUM. `prompt_id` is an indexed column (the whole 32-hex-digit id is one token), so the
  triggers find a prompt's row with `MATCH 'prompt_id:<id>'` (an index lookup, not a scan);
  searches name their columns (`{name content}`), so ids never match a user's words.
  A future migration that recreates `prompts` on SQLite (batch mode) drops the triggers and
  must create them again (`create_sqlite_search`).

Revision ID: 0017
Revises: 0016 (written on 0014; re-chained after 0016_label_splits merged)
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_LIST = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")

# The row of prompt `x` (SQLite stores a UUID as 32 hex digits: one token).
_ROW_OF = "SELECT rowid FROM prompts_fts WHERE prompts_fts MATCH 'prompt_id:' || {x}.id"


def create_sqlite_search() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE prompts_fts USING fts5("
        "prompt_id, name, content, tokenize = 'unicode61 remove_diacritics 0')"
    )
    op.execute(
        "INSERT INTO prompts_fts (prompt_id, name, content) SELECT id, name, content FROM prompts"
    )
    op.execute(
        "CREATE TRIGGER prompts_fts_insert AFTER INSERT ON prompts BEGIN "
        "INSERT INTO prompts_fts (prompt_id, name, content) "
        "VALUES (new.id, new.name, new.content); END"
    )
    op.execute(
        "CREATE TRIGGER prompts_fts_update AFTER UPDATE OF id, name, content ON prompts BEGIN "
        f"DELETE FROM prompts_fts WHERE rowid IN ({_ROW_OF.format(x='old')}); "
        "INSERT INTO prompts_fts (prompt_id, name, content) "
        "VALUES (new.id, new.name, new.content); END"
    )
    op.execute(
        "CREATE TRIGGER prompts_fts_delete AFTER DELETE ON prompts BEGIN "
        f"DELETE FROM prompts_fts WHERE rowid IN ({_ROW_OF.format(x='old')}); END"
    )


def upgrade() -> None:
    with op.batch_alter_table("prompts") as batch:
        batch.add_column(
            sa.Column("tags", JSON_LIST, nullable=False, server_default=sa.text("'[]'"))
        )
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS prompts_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS prompts_fts")
    with op.batch_alter_table("prompts") as batch:
        batch.drop_column("tags")
