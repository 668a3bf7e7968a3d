"""People's display names next to what they did (authors, label moves, owners)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from promptrepo.models import Profile


def display_name(session: Session, user_id) -> sa.ColumnElement:
    """The display name of the user `user_id` (a column or a value); NULL when not shown.

    On PostgreSQL the app may not read other users' profiles, so the name comes from the
    SECURITY DEFINER function `app_profile_name` (migrations 0005, 0018): the name only, and
    only of the acting user, someone with a public project, or someone who shares a project
    with the acting user.
    """
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.app_profile_name(user_id)
    return sa.select(Profile.name).where(Profile.id == user_id).scalar_subquery()
