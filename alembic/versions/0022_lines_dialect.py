"""The "jinja2-lines" template dialect, for new prompts (services/templates.py: dialects).

"jinja2-trim" (Jinja's trim_blocks) also swallowed the line break after a block tag that ends
a line of text: `Be polite.{% endif %}` joined the next line to it. New prompts get
"jinja2-lines" from the model, which drops only lines that hold nothing but block tags;
every existing prompt and version keeps its dialect, and so renders exactly as before.

Revision ID: 0022
Revises: 0020
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "template_dialect IN ('jinja2', 'jinja2-trim')"
NEW = "template_dialect IN ('jinja2', 'jinja2-trim', 'jinja2-lines')"


def _check(check: str) -> None:
    for table in ("prompts", "versions"):
        # SQLite's batch mode copies the table, and the copy has none of the old one's
        # triggers (`prompts` has three, for search: migration 0017): they are made again.
        triggers = [
            sql
            for (sql,) in op.get_bind().exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                (table,),
            )
        ] if op.get_bind().dialect.name == "sqlite" else []
        name = op.f(f"ck_{table}_template_dialect_known")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="check")
            batch_op.create_check_constraint(name, check)
        for sql in triggers:
            op.execute(sql)


def upgrade() -> None:
    _check(NEW)


def downgrade() -> None:
    # The nearest older dialect (lines of text ending in a block tag join the next line).
    op.execute(
        "UPDATE prompts SET template_dialect = 'jinja2-trim' WHERE template_dialect = 'jinja2-lines'"
    )
    op.execute(
        "UPDATE versions SET template_dialect = 'jinja2-trim' WHERE template_dialect = 'jinja2-lines'"
    )
    _check(OLD)
