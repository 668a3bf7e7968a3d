"""The admin section's queries: users with their plan and usage. Admins only."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from promptrepo.models import Billing, Profile, Project
from promptrepo.services.principal import Principal, require_admin

PER_PAGE = 25


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    email: str
    name: str
    role: str
    plan: str
    billing_status: str
    suspended: bool
    project_count: int
    created_at: datetime


@dataclass(frozen=True)
class UserPage:
    items: list[UserRow]
    total: int
    page: int
    pages: int


def list_users(
    session: Session,
    actor: Principal | None,
    *,
    search: str = "",
    status: str = "all",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> UserPage:
    """Users matching `search` (e-mail or name), newest first, one page at a time.

    `status` is "all", "active", "suspended" or "admins". Three queries whatever the page size.
    """
    require_admin(actor)
    conditions = []
    if search.strip():
        needle = f"%{search.strip().lower()}%"
        conditions.append(or_(Profile.email.like(needle), func.lower(Profile.name).like(needle)))
    if status == "suspended":
        conditions.append(Profile.suspended_at.is_not(None))
    elif status == "active":
        conditions.append(Profile.suspended_at.is_(None))
    elif status == "admins":
        conditions.append(Profile.role == "admin")

    total = session.exec(select(func.count()).select_from(Profile).where(*conditions)).one()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    projects = select(Project.user_id, func.count().label("n")).group_by(Project.user_id).subquery()
    rows = session.exec(
        select(Profile, Billing.plan, Billing.status, func.coalesce(projects.c.n, 0))
        .join(Billing, Billing.user_id == Profile.id, isouter=True)
        .join(projects, projects.c.user_id == Profile.id, isouter=True)
        .where(*conditions)
        .order_by(Profile.created_at.desc(), Profile.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [
        UserRow(
            id=p.id,
            email=p.email,
            name=p.name,
            role=p.role,
            plan=plan or "free",
            billing_status=billing_status or "active",
            suspended=p.suspended_at is not None,
            project_count=count,
            created_at=p.created_at,
        )
        for p, plan, billing_status, count in rows
    ]
    return UserPage(items=items, total=total, page=page, pages=pages)
