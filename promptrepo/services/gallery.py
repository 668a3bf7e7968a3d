"""The public gallery: every user's public projects, searchable and sorted; private ones never appear."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session

from promptrepo.models import Project
from promptrepo.services.projects import ProjectPage, like_pattern, summary_page

GallerySort = Literal["popular", "updated", "name"]


def list_public_projects(
    session: Session,
    *,
    search: str = "",
    sort: GallerySort = "popular",
    page: int = 1,
    per_page: int = 20,
) -> ProjectPage:
    """Public projects of every user, with their owner's name; private ones never appear.

    `search` matches the name or the description; `sort` is "popular" (most forked),
    "updated" or "name".
    """
    where: list = [Project.is_public.is_(True)]
    if search.strip():
        pattern = like_pattern(search)
        where.append(
            sa.or_(
                Project.name.ilike(pattern, escape="\\"),
                Project.description.ilike(pattern, escape="\\"),
            )
        )
    if sort == "name":
        order_by = [sa.func.lower(Project.name), Project.id]
    elif sort == "updated":
        order_by = [Project.updated_at.desc(), Project.id]
    else:
        order_by = [Project.fork_count.desc(), Project.updated_at.desc(), Project.id]
    return summary_page(session, where, order_by, page, per_page, with_owner=True)
