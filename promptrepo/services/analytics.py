"""Product analytics for admins: totals, plan mix and daily activity, computed in SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from promptrepo.formatting import count_of
from promptrepo.models import (
    ApiKey,
    AuditLog,
    Billing,
    Profile,
    Project,
    Prompt,
    ProviderConnection,
    Version,
    utcnow,
)
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
    recent_actions: list[tuple[str, str, str, str]]  # (when, who, action, what it was about)


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
        totals=totals, plans=plans, daily=daily, recent_actions=_describe(session, recent)
    )


# What an audit entry's target type is called, and the table holding its name.
TARGETS: dict[str, tuple[str, Any, Any]] = {
    "profile": ("account", Profile, Profile.email),
    "project": ("project", Project, Project.name),
    "prompt": ("prompt", Prompt, Prompt.name),
    "api_key": ("API key", ApiKey, ApiKey.name),
    "provider": ("connection", ProviderConnection, ProviderConnection.name),
    "billing": ("billing", Billing, Billing.user_id),
}


def _describe(session: Session, entries: list[AuditLog]) -> list[tuple[str, str, str, str]]:
    """(when, who, action, what) for each entry: people by e-mail, things by name, one query
    per kind of target (an id means nothing to an admin; a thing deleted since says so)."""
    wanted: dict[str, set[uuid.UUID]] = {"profile": set()}
    for entry in entries:
        if entry.actor_id is not None:
            wanted["profile"].add(entry.actor_id)
        target = _as_uuid(entry.target_id)
        if entry.target_type in TARGETS and target is not None:
            wanted.setdefault(entry.target_type, set()).add(target)
    names: dict[str, dict[uuid.UUID, Any]] = {}

    def look_up(kind: str) -> None:
        if wanted.get(kind):
            _, model, column = TARGETS[kind]
            query = select(model.id, column).where(model.id.in_(wanted[kind]))
            names[kind] = dict(session.exec(query).all())

    look_up("billing")  # first: a billing record is named by its account's e-mail
    wanted["profile"] |= set(names.get("billing", {}).values())
    for kind in wanted.keys() - {"billing"}:
        look_up(kind)
    emails = names.get("profile", {})
    rows = []
    for entry in entries:
        who = emails.get(entry.actor_id, "a deleted account") if entry.actor_id else "PromptRepo"
        rows.append(
            (
                entry.created_at.strftime("%Y-%m-%d %H:%M"),
                who,
                entry.action,
                _target_text(entry, names, emails),
            )
        )
    return rows


def _target_text(
    entry: AuditLog, names: dict[str, dict[uuid.UUID, str]], emails: dict[uuid.UUID, str]
) -> str:
    kind, _, _ = TARGETS.get(entry.target_type, (entry.target_type, None, None))
    target = _as_uuid(entry.target_id)
    name = names.get(entry.target_type, {}).get(target) if target is not None else None
    if entry.target_type == "profile":
        return name or "a deleted account"
    if entry.target_type == "billing":
        owner = emails.get(name) if name is not None else None
        return f"billing of {owner}" if owner else "billing of a deleted account"
    if name is not None:
        return f"{kind} “{name}”"
    recorded = (entry.details or {}).get("name")
    return f"{kind} “{recorded}” (deleted)" if recorded else f"a deleted {kind}"


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class PlanShare:
    plan_id: str
    name: str  # the plan's display name ("Pro"), never its id
    users: int
    percent: str  # "33%", of all users

    @property
    def legend(self) -> str:
        """ "2 users · 67%": the plan's line under the pie, beside its name."""
        return f"{count_of(self.users, 'user')} · {self.percent}"


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
