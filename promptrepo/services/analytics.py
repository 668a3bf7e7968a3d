"""Product analytics for admins: totals, plan mix and daily activity, computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from promptrepo.models import AuditLog, Billing, Profile, Project, Prompt, Version, utcnow
from promptrepo.services.plans import ENTITLED_STATUSES, PLANS
from promptrepo.services.principal import Principal, require_admin


@dataclass(frozen=True)
class Totals:
    users: int
    suspended_users: int
    projects: int
    public_projects: int
    prompts: int
    versions: int
    published_versions: int


@dataclass(frozen=True)
class DailyActivity:
    day: str  # YYYY-MM-DD
    signups: int
    projects: int
    versions: int


@dataclass(frozen=True)
class Analytics:
    totals: Totals
    plans: dict[str, int]
    daily: list[DailyActivity]
    recent_actions: list[tuple[str, str, str]]  # (when, action, target)


def _count(session: Session, model, *conditions) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def _per_day(session: Session, column, since) -> dict[str, int]:
    day = func.date(column)
    rows = session.exec(select(day, func.count()).where(column >= since).group_by(day)).all()
    # SQLite answers 'YYYY-MM-DD' strings, PostgreSQL date objects.
    return {str(d)[:10]: n for d, n in rows}


def get_analytics(session: Session, actor: Principal | None, *, days: int = 30) -> Analytics:
    """Everything the analytics page shows, in a fixed number of queries."""
    require_admin(actor)
    totals = Totals(
        users=_count(session, Profile),
        suspended_users=_count(session, Profile, Profile.suspended_at.is_not(None)),
        projects=_count(session, Project),
        public_projects=_count(session, Project, Project.is_public.is_(True)),
        prompts=_count(session, Prompt),
        versions=_count(session, Version),
        published_versions=_count(session, Version, Version.is_published.is_(True)),
    )
    plans = {"free": 0, "pro": 0, "enterprise": 0}
    for plan, status, n in session.exec(
        select(Billing.plan, Billing.status, func.count()).group_by(Billing.plan, Billing.status)
    ).all():
        effective = plan if status in ENTITLED_STATUSES else "free"
        plans[effective] = plans.get(effective, 0) + n

    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    since = utcnow() - timedelta(days=days)
    signups = _per_day(session, Profile.created_at, since)
    projects = _per_day(session, Project.created_at, since)
    versions = _per_day(session, Version.created_at, since)
    daily = []
    for offset in range(days):
        key = (first + timedelta(days=offset)).isoformat()
        daily.append(
            DailyActivity(
                day=key,
                signups=signups.get(key, 0),
                projects=projects.get(key, 0),
                versions=versions.get(key, 0),
            )
        )
    recent = session.exec(select(AuditLog).order_by(AuditLog.created_at.desc()).limit(15)).all()
    return Analytics(
        totals=totals,
        plans=plans,
        daily=daily,
        recent_actions=[
            (
                a.created_at.strftime("%Y-%m-%d %H:%M"),
                a.action,
                f"{a.target_type} {a.target_id[:8]}",
            )
            for a in recent
        ],
    )


@dataclass(frozen=True)
class PlanShare:
    plan_id: str
    name: str  # the plan's display name ("Pro"), never its id
    users: int
    percent: str  # "33%", of all users


def plan_mix(counts: dict[str, int]) -> list[PlanShare]:
    """Every plan in the pricing page's order, with its name, users and share (0% included,
    so the chart's list never leaves a plan out; a plan id no longer offered keeps its id)."""

    total = sum(counts.values())
    ordered = [*PLANS, *(p for p in counts if p not in PLANS)]
    return [
        PlanShare(
            plan_id=plan_id,
            name=PLANS[plan_id].name if plan_id in PLANS else plan_id,
            users=counts.get(plan_id, 0),
            percent=f"{round(100 * counts.get(plan_id, 0) / total)}%" if total else "0%",
        )
        for plan_id in ordered
    ]
