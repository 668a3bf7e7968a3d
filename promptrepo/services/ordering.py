"""Keeping `order` columns dense (0..n-1, no gaps, no duplicates) under concurrent edits.

Every change to the order of a project's segments, or of a segment's prompts, first locks the
project's row (`services/locks.py`: `SELECT ... FOR UPDATE` on PostgreSQL, the database's one
write lock on SQLite), then reads the siblings fresh and renumbers them all in the same transaction. Two tabs reordering
at once therefore take turns, and the second sees the first's result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from promptrepo.models import Prompt, Segment
from promptrepo.services.errors import ValidationFailed
from promptrepo.services.locks import lock_project, lock_user  # noqa: F401 (re-exported)

NAME_MAX = 100


def segments_in_order(session: Session, project_id: uuid.UUID) -> list[Segment]:
    return list(
        session.exec(
            select(Segment)
            .where(Segment.project_id == project_id)
            .order_by(Segment.order, Segment.created_at, Segment.id)
            .execution_options(populate_existing=True)
        ).all()
    )


def prompts_in_order(session: Session, segment_id: uuid.UUID) -> list[Prompt]:
    return list(
        session.exec(
            select(Prompt)
            .where(Prompt.segment_id == segment_id)
            .order_by(Prompt.order, Prompt.created_at, Prompt.id)
            .execution_options(populate_existing=True)
        ).all()
    )


def renumber(session: Session, items: Sequence[Any]) -> None:
    """Give `items` the orders 0..n-1 in their list order, writing only what changed."""
    for index, item in enumerate(items):
        if item.order != index:
            item.order = index
            session.add(item)


def clamp_index(index: int, length: int) -> int:
    """An insertion index within 0..length (negative counts from the end, like list.insert)."""
    if index < 0:
        index = length + index + 1
    return max(0, min(index, length))


def clean_name(value: Any, *, what: str, field: str = "name") -> str:
    """A trimmed name of 1..100 characters, or ValidationFailed saying what is wrong."""
    name = str(value or "").strip()
    if not name:
        raise ValidationFailed(
            f"The {what} name cannot be empty.",
            errors=[{"loc": [field], "msg": f"The {what} name cannot be empty."}],
        )
    if len(name) > NAME_MAX:
        msg = f"The {what} name is {len(name)} characters long; the limit is {NAME_MAX}."
        raise ValidationFailed(msg, errors=[{"loc": [field], "msg": msg}])
    return name
