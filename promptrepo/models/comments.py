"""Comments on a prompt's versions, optionally on one line of a diff, and the mentions in them.

A comment belongs to one version (`version_id`, deleted with it; `version` is its number, so
lists need no join). A line comment also records where it was made: the diff's other version
(`anchor_other`), which column the line was in (`anchor_side`, `old`/`new`) and the line's
number in this version's text (`anchor_line`). A reply names its thread's first comment
(`parent_id`); only threads (top-level comments) are resolved. The body is plain text.

`comment_mentions` keeps one row per member mentioned in a comment: the record the mentioned
person is notified from (services/comments.notify_mentions), until a notifications table takes
over.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from promptrepo.models.common import UTCDateTime, check_in, created_field, fk_field, id_field

ANCHOR_SIDES = ("old", "new")
COMMENT_MAX_CHARS = 5000


class Comment(SQLModel, table=True):
    __tablename__ = "comments"
    __table_args__ = (
        check_in("anchor_side", ANCHOR_SIDES, "anchor_side"),
        sa.CheckConstraint(
            "(anchor_line IS NULL AND anchor_side IS NULL AND anchor_other IS NULL) OR "
            "(anchor_line >= 1 AND anchor_side IS NOT NULL AND anchor_other >= 1)",
            name="anchor_complete",
        ),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 5000", name="body_length"),
        sa.Index("ix_comments_prompt_version", "prompt_id", "version", "created_at"),
    )

    id: uuid.UUID = id_field()
    prompt_id: uuid.UUID = fk_field("prompts.id")
    version_id: uuid.UUID = fk_field("versions.id")
    version: int
    anchor_other: int | None = Field(default=None)
    anchor_side: str | None = Field(default=None, max_length=3)
    anchor_line: int | None = Field(default=None)
    parent_id: uuid.UUID | None = fk_field("comments.id", nullable=True)
    author_id: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = created_field()
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    resolved_by: uuid.UUID | None = fk_field("profiles.id", ondelete="SET NULL", nullable=True)


class CommentMention(SQLModel, table=True):
    __tablename__ = "comment_mentions"
    __table_args__ = (
        sa.UniqueConstraint("comment_id", "user_id", name="uq_comment_mentions_comment_user"),
    )

    id: uuid.UUID = id_field()
    comment_id: uuid.UUID = fk_field("comments.id")
    prompt_id: uuid.UUID = fk_field("prompts.id")
    user_id: uuid.UUID = fk_field("profiles.id")
    # the text that named them (`@ana`), highlighted where the comment is shown
    token: str = Field(max_length=200)
    created_at: datetime = created_field()
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
