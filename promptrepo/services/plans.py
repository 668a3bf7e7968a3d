"""The plans, their prices and limits: the one source for limits, the pricing page and billing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, select

from promptrepo.models import Billing, Project, Prompt, Segment
from promptrepo.services.errors import PlanLimitReached

# Billing statuses under which a paid plan's entitlements apply.
ENTITLED_STATUSES = {"active", "trialing", "past_due"}
UPGRADE_URL = "/pricing"


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    price_usd_per_month: int | None  # None: "contact us"
    max_projects: int | None  # None: unlimited
    max_prompts: int | None
    api_requests_per_minute: int
    tagline: str
    features: tuple[str, ...]
    # the activity page's CSV download (services/activity.py): "Audit log export"
    audit_export: bool = False


PLANS: dict[str, Plan] = {
    "free": Plan(
        id="free",
        name="Free",
        price_usd_per_month=0,
        max_projects=3,
        max_prompts=100,
        api_requests_per_minute=60,
        tagline="For trying PromptRepo on a side project.",
        features=(
            "3 projects",
            "100 prompts",
            "Versions, labels and validators",
            "60 API requests/min",
        ),
    ),
    "pro": Plan(
        id="pro",
        name="Pro",
        price_usd_per_month=19,
        max_projects=None,
        max_prompts=None,
        api_requests_per_minute=600,
        tagline="For teams shipping LLM features to production.",
        features=(
            "Unlimited projects",
            "Unlimited prompts",
            "Everything in Free",
            "600 API requests/min",
        ),
    ),
    "enterprise": Plan(
        id="enterprise",
        name="Enterprise",
        price_usd_per_month=99,
        max_projects=None,
        max_prompts=None,
        api_requests_per_minute=6000,
        tagline="For companies serving prompts at scale.",
        features=(
            "Everything in Pro",
            "6,000 API requests/min",
            "Priority support",
            "Audit log export",
        ),
        audit_export=True,
    ),
}


def get_plan(plan_id: str) -> Plan:
    return PLANS.get(plan_id, PLANS["free"])


def plan_for_user(session: Session, user_id: uuid.UUID) -> Plan:
    """The plan whose limits apply now: a paid plan only while its subscription is in good standing."""
    billing = session.exec(select(Billing).where(Billing.user_id == user_id)).first()
    if billing is None or billing.status not in ENTITLED_STATUSES:
        return PLANS["free"]
    return get_plan(billing.plan)


def count_projects(session: Session, user_id: uuid.UUID) -> int:
    return session.exec(
        select(func.count()).select_from(Project).where(Project.user_id == user_id)
    ).one()


def count_prompts(session: Session, user_id: uuid.UUID) -> int:
    return session.exec(
        select(func.count())
        .select_from(Prompt)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(Project.user_id == user_id)
    ).one()


def _owner_usage(session: Session, user_id: uuid.UUID) -> tuple[Plan, int, int] | None:
    """The plan and counts of `user_id` through `app_owner_usage` (migration 0018) on
    PostgreSQL, where an editor's session cannot read the owner's billing row or other
    projects; None elsewhere (SQLite has no row-level security)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    row = session.execute(
        sa.text("SELECT plan, status, projects, prompts FROM app_owner_usage(:uid)"),
        {"uid": user_id},
    ).first()
    if row is None:
        return None
    plan = get_plan(row.plan) if row.plan and row.status in ENTITLED_STATUSES else PLANS["free"]
    return plan, int(row.projects), int(row.prompts)


def ensure_can_add_projects(session: Session, user_id: uuid.UUID, count: int = 1) -> None:
    """Raise PlanLimitReached unless `count` more projects fit in the user's plan."""
    usage = _owner_usage(session, user_id)
    plan = usage[0] if usage else plan_for_user(session, user_id)
    projects = usage[1] if usage else None
    if (
        plan.max_projects is not None
        and (projects if projects is not None else count_projects(session, user_id)) + count
        > plan.max_projects
    ):
        raise PlanLimitReached(
            f"The {plan.name} plan allows {plan.max_projects} projects. "
            f"Upgrade at {UPGRADE_URL} for unlimited projects."
        )


def ensure_can_add_prompts(session: Session, user_id: uuid.UUID, count: int = 1) -> None:
    """Raise PlanLimitReached unless `count` more prompts fit in the user's plan (the
    project owner's, when a member adds to a shared project)."""
    usage = _owner_usage(session, user_id)
    plan = usage[0] if usage else plan_for_user(session, user_id)
    prompts = usage[2] if usage else None
    if (
        plan.max_prompts is not None
        and (prompts if prompts is not None else count_prompts(session, user_id)) + count
        > plan.max_prompts
    ):
        raise PlanLimitReached(
            f"The {plan.name} plan allows {plan.max_prompts} prompts in all. "
            f"Upgrade at {UPGRADE_URL} for unlimited prompts."
        )
