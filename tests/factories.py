"""Test data builders. They go through services where one exists, so tests see real rows."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from promptrepo.models import Billing, Profile
from promptrepo.services import members
from promptrepo.services.principal import Principal


def make_user(
    session: Session,
    *,
    email: str | None = None,
    name: str = "Test User",
    role: str = "user",
    plan: str = "free",
) -> Principal:
    """A profile with its billing record, as sign-up creates them; returns its principal."""
    email = (email or f"user-{uuid.uuid4().hex[:8]}@example.com").lower()
    profile = Profile(email=email, name=name, role=role)
    session.add(profile)
    session.flush()
    session.add(Billing(user_id=profile.id, plan=plan))
    session.flush()
    return Principal(user_id=profile.id, email=profile.email, name=profile.name, role=role)


def add_member(
    session: Session, owner: Principal, project_id: uuid.UUID, who: Principal, role: str
) -> None:
    """`who` joins the owner's project as `role` the way people do: invited, then accepting
    the link (each step committed)."""
    created = members.invite(session, owner, project_id, email=who.email, role=role)
    session.commit()
    members.accept_invite(session, who, created.link.rsplit("/", 1)[1])
    session.commit()
