"""/api/v1/me: the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.schemas import ProfileOut, ProfileUpdate
from promptrepo.models import Profile
from promptrepo.services import accounts, plans

router = APIRouter(prefix="/api/v1/me", tags=["account"])


def profile_out(session: Session, profile: Profile) -> ProfileOut:
    plan = plans.plan_for_user(session, profile.id)
    return ProfileOut(
        id=profile.id,
        email=profile.email,
        name=profile.name,
        role=profile.role,
        theme_preference=profile.theme_preference,
        plan=plan.id,
    )


@router.get("", response_model=ProfileOut, summary="Your profile")
def get_me(session: SessionDep, principal: CurrentPrincipal) -> ProfileOut:
    """Your id, e-mail, name, role, theme preference and current plan."""
    return profile_out(session, accounts.get_profile(session, principal))


@router.patch("", response_model=ProfileOut, summary="Update your profile")
def update_me(body: ProfileUpdate, session: SessionDep, principal: WritePrincipal) -> ProfileOut:
    """Change your name and/or theme preference."""
    profile = accounts.update_profile(
        session, principal, name=body.name, theme_preference=body.theme_preference
    )
    return profile_out(session, profile)
