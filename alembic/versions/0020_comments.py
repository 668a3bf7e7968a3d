"""Comments on versions and on lines of a diff, and the mentions in them (issue 16, item 4).

`comments`: a prompt's version (`version_id`, deleted with it, and its number `version`), an
optional anchor on a diff line (the diff's other version, the side, the line number), the
author, a plain-text body, when it was written and edited, whether its thread is resolved (and
by whom), and the thread's first comment for a reply (`parent_id`).
`comment_mentions`: one row per member mentioned in a comment (who, which text named them,
read or not): what the mentioned are notified from.

Row-level security (PostgreSQL): comments are the team's conversation, so any role in the
project reads them (not the public readers of a public project); anyone with a role writes
their own (author = the acting user); the author edits the body and deletes; owner, editors
and the author may set the resolved columns (services/comments.py decides who may resolve
which: editors and the owner any thread). One UPDATE policy covers every granted column, so a
trigger (`app_comment_author_edits`) keeps the body and its edit time the author's alone when
the app role writes. Mentions are read by the team and by the person
mentioned; the person mentioned marks them read.

Revision ID: 0020
Revises: 0021 (written beside 0019 and 0021; it follows them so there is one head)
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from promptrepo.db_policies import APP_ROLE, secure_table

revision: str = "0020"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEAM = "app_project_role(app_prompt_project(prompt_id)) IS NOT NULL"
EDITORS = "app_can_edit_project(app_prompt_project(prompt_id))"
AS_APP = f"(session_user = '{APP_ROLE}' OR current_setting('role') = '{APP_ROLE}')"
AUTHOR_EDITS = f"""CREATE OR REPLACE FUNCTION app_comment_author_edits() RETURNS trigger
   LANGUAGE plpgsql SET search_path = public AS
   $$ BEGIN
        IF (NEW.body IS DISTINCT FROM OLD.body OR NEW.edited_at IS DISTINCT FROM OLD.edited_at)
           AND OLD.author_id IS DISTINCT FROM app_user_id() AND {AS_APP} THEN
          RAISE EXCEPTION 'only its author can edit a comment' USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
      END $$"""


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("anchor_other", sa.Integer(), nullable=True),
        sa.Column("anchor_side", sa.String(length=3), nullable=True),
        sa.Column("anchor_line", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "\"anchor_side\" IN ('old', 'new')", name=op.f("ck_comments_anchor_side")
        ),
        sa.CheckConstraint(
            "(anchor_line IS NULL AND anchor_side IS NULL AND anchor_other IS NULL) OR "
            "(anchor_line >= 1 AND anchor_side IS NOT NULL AND anchor_other >= 1)",
            name=op.f("ck_comments_anchor_complete"),
        ),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 5000", name=op.f("ck_comments_body_length")),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_comments_prompt_id_prompts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_comments_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comments.id"],
            name=op.f("fk_comments_parent_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["profiles.id"],
            name=op.f("fk_comments_author_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["profiles.id"],
            name=op.f("fk_comments_resolved_by_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_prompt_version", ["prompt_id", "version", "created_at"])
        for column in ("prompt_id", "version_id", "parent_id", "author_id", "resolved_by"):
            batch_op.create_index(batch_op.f(f"ix_comments_{column}"), [column])
    op.create_table(
        "comment_mentions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=False),
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_comment_mentions_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_comment_mentions_prompt_id_prompts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["profiles.id"],
            name=op.f("fk_comment_mentions_user_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_mentions")),
        sa.UniqueConstraint("comment_id", "user_id", name="uq_comment_mentions_comment_user"),
    )
    with op.batch_alter_table("comment_mentions", schema=None) as batch_op:
        for column in ("comment_id", "prompt_id", "user_id"):
            batch_op.create_index(batch_op.f(f"ix_comment_mentions_{column}"), [column])
    secure_table(
        op,
        "comments",
        {
            "SELECT": TEAM,
            "INSERT": f"author_id = app_user_id() AND {TEAM}",
            "UPDATE (body, edited_at, resolved_at, resolved_by)": (
                f"(author_id = app_user_id() AND {TEAM}) OR {EDITORS}"
            ),
            "DELETE": f"author_id = app_user_id() AND {TEAM}",
        },
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(AUTHOR_EDITS)
        op.execute(
            "CREATE TRIGGER comments_author_edits BEFORE UPDATE ON comments "
            "FOR EACH ROW EXECUTE FUNCTION app_comment_author_edits()"
        )
    secure_table(
        op,
        "comment_mentions",
        {
            "SELECT": f"user_id = app_user_id() OR {TEAM}",
            # written with the comment, by its author (a member); an edit replaces them
            "INSERT": f"{TEAM} AND EXISTS (SELECT 1 FROM comments c WHERE c.id = comment_id "
            "AND c.author_id = app_user_id())",
            "UPDATE (read_at)": "user_id = app_user_id()",
            "DELETE": f"{TEAM} AND EXISTS (SELECT 1 FROM comments c WHERE c.id = comment_id "
            "AND c.author_id = app_user_id())",
        },
    )


def downgrade() -> None:
    op.drop_table("comment_mentions")
    op.drop_table("comments")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS app_comment_author_edits()")
