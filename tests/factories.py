"""Test data builders. They go through services where one exists, so tests see real rows."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from promptrepo.models import Billing, Profile
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
