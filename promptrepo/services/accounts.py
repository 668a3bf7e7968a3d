"""Local profiles: creation with billing, profile settings, password change, deletion, roles
and suspension.

Every function takes the caller's `session` and lets the caller commit, so a failure at any
step leaves nothing half-done.
"""

from __future__ import annotations

import uuid

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from promptrepo.models import Billing, Credential, Identity, Profile, utcnow
from promptrepo.models.users import ROLES, THEMES
from promptrepo.services import audit, cache, passwords, sessions
from promptrepo.services.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from promptrepo.services.locks import lock_user
from promptrepo.services.principal import Principal, require_admin, require_user

NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 320
EMAIL_TAKEN = "An account with this e-mail address already exists. Log in instead?"


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"loc": [field], "msg": message}])


def normalise_email(email: str) -> str:
    """Trim and lower-case an e-mail address after checking its syntax (no DNS lookup)."""
    email = (email or "").strip()
    if not email:
        raise _invalid("email", "Enter your e-mail address.")
    if len(email) > EMAIL_MAX_LENGTH:
        raise _invalid("email", "This e-mail address is too long.")
    try:
        checked = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _invalid("email", f"This is not a valid e-mail address: {exc}") from exc
    return checked.normalized.lower()


def normalise_name(name: str) -> str:
    """Trim a display name and check it is 1..100 characters."""
    name = " ".join((name or "").split())
    if not name:
        raise _invalid("name", "Enter your name.")
    if len(name) > NAME_MAX_LENGTH:
        raise _invalid("name", f"Use at most {NAME_MAX_LENGTH} characters.")
    return name


def find_profile_by_email(session: Session, email: str) -> Profile | None:
    """The profile with this e-mail address, whatever its case."""
    return session.exec(select(Profile).where(Profile.email == email.strip().lower())).first()


def create_profile_with_billing(
    session: Session,
    *,
    email: str,
    name: str,
    password: str | None = None,
    role: str = "user",
    theme_preference: str = "system",
    identity: tuple[str, str] | None = None,
) -> Profile:
    """Create a profile (role user, theme system), its free active billing record, and,
    when given, its local credential (argon2id) and external identity (provider, subject).

    All in the caller's transaction: if any step fails, nothing is kept once it rolls back.
    Raises ValidationFailed for bad input and Conflict when the e-mail is taken.
    """
    email = normalise_email(email)
    name = normalise_name(name)
    if role not in ROLES:
        raise _invalid("role", f"Role must be one of {', '.join(ROLES)}.")
    if theme_preference not in THEMES:
        raise _invalid("theme_preference", f"Theme must be one of {', '.join(THEMES)}.")
    password_hash = passwords.hash_password(password) if password is not None else None
    if find_profile_by_email(session, email) is not None:
        raise Conflict(EMAIL_TAKEN, errors=[{"loc": ["email"], "msg": EMAIL_TAKEN}])

    profile = Profile(email=email, name=name, role=role, theme_preference=theme_preference)
    session.add(profile)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent sign-up took the address first
        raise Conflict(EMAIL_TAKEN, errors=[{"loc": ["email"], "msg": EMAIL_TAKEN}]) from exc
    if password_hash is not None:
        session.add(Credential(user_id=profile.id, password_hash=password_hash))
    if identity is not None:
        provider, subject = identity
        session.add(Identity(user_id=profile.id, provider=provider, subject=subject))
    session.add(Billing(user_id=profile.id, plan="free", status="active"))
    session.flush()
    audit.record(session, profile.id, "account.created", "profile", profile.id)
    return profile


def principal_for(profile: Profile) -> Principal:
    return Principal(user_id=profile.id, email=profile.email, name=profile.name, role=profile.role)


def get_profile(session: Session, principal: Principal | None) -> Profile:
    """The acting user's own profile (NotFound once deleted)."""
    principal = require_user(principal)
    profile = session.get(Profile, principal.user_id)
    if profile is None:
        raise NotFound("This account no longer exists.")
    return profile


def update_profile(
    session: Session,
    principal: Principal | None,
    *,
    name: str | None = None,
    theme_preference: str | None = None,
) -> Profile:
    """Change the acting user's own name and/or theme preference (light, dark or system)."""
    profile = get_profile(session, principal)
    profile = lock_user(session, profile.id)  # read afresh; NotFound if deleted meanwhile
    if name is not None:
        profile.name = normalise_name(name)
    if theme_preference is not None:
        if theme_preference not in THEMES:
            raise _invalid("theme_preference", "Choose light, dark or system.")
        profile.theme_preference = theme_preference
    profile.updated_at = utcnow()
    session.add(profile)
    session.flush()
    cache.invalidate_user_now_and_after_commit(session, str(profile.id))
    return profile


def change_password(
    session: Session,
    principal: Principal | None,
    *,
    current_password: str,
    new_password: str,
    keep_token: str | None = None,
    revoke_api_keys: bool = False,
) -> None:
    """Change the acting user's password after checking the current one.

    Every other session is logged out; the session whose token is `keep_token` stays. With
    `revoke_api_keys`, every API key of the account is revoked too.
    """
    profile = get_profile(session, principal)
    # Check the current password under the account's lock: of two concurrent changes from
    # the same old password, the second sees the first's new hash and is refused, instead of
    # silently replacing a password the user was just told was saved.
    profile = lock_user(session, profile.id)
    credential = session.exec(
        select(Credential)
        .where(Credential.user_id == profile.id)
        .execution_options(populate_existing=True)
    ).first()
    if not passwords.verify_password(current_password, credential and credential.password_hash):
        message = "Your current password is not correct."
        raise ValidationFailed(message, errors=[{"loc": ["current_password"], "msg": message}])
    passwords.validate_password(new_password, field="new_password")
    if current_password == new_password:
        raise _invalid("new_password", "Choose a password different from the current one.")
    set_password(session, profile.id, new_password)
    sessions.revoke_all_sessions(session, profile.id, except_token=keep_token)
    if revoke_api_keys:
        from promptrepo.services import api_keys

        api_keys.revoke_all_api_keys(session, profile.id)
    audit.record(
        session,
        profile.id,
        "account.password_changed",
        "profile",
        profile.id,
        api_keys_revoked=revoke_api_keys,
    )


def set_password(session: Session, user_id: uuid.UUID, new_password: str) -> None:
    """Store a new argon2id hash for `user_id` (creating the credential if needed)."""
    password_hash = passwords.hash_password(new_password)
    credential = session.get(Credential, user_id)
    if credential is None:
        credential = Credential(user_id=user_id, password_hash=password_hash)
    else:
        credential.password_hash = password_hash
        credential.password_changed_at = utcnow()
    session.add(credential)
    session.flush()
    cache.invalidate_user_now_and_after_commit(session, str(user_id))


def delete_account(session: Session, principal: Principal | None, *, confirmation: str) -> None:
    """Delete the acting user's account and everything it owns (projects, prompts, versions,
    sessions, API keys, billing). `confirmation` must be the account's e-mail address."""
    profile = get_profile(session, principal)
    if (confirmation or "").strip().lower() != profile.email:
        message = "Type your e-mail address exactly to confirm."
        raise ValidationFailed(message, errors=[{"loc": ["confirmation"], "msg": message}])
    user_id = profile.id
    _delete_external_identities(session, user_id)
    audit.record(session, None, "account.deleted", "profile", user_id)
    session.expunge(profile)
    # The database cascades to every row that belongs to the user.
    session.exec(delete(Profile).where(Profile.id == user_id))
    session.flush()
    cache.invalidate_user_now_and_after_commit(session, str(user_id))


def _delete_external_identities(session: Session, user_id: uuid.UUID) -> None:
    """Delete the user at their sign-in provider (Supabase) before deleting them here: if the
    provider cannot, the whole deletion stops with its error and nothing is lost."""
    from promptrepo.services import supabase_tokens

    subjects = session.exec(
        select(Identity.subject).where(
            Identity.user_id == user_id, Identity.provider == supabase_tokens.PROVIDER
        )
    ).all()
    for subject in subjects:
        if not supabase_tokens.delete_user(subject):
            supabase_tokens.log.warning(
                "supabase_user_kept",
                subject=subject,
                reason="SUPABASE_SERVICE_ROLE_KEY is not set; delete the user in Supabase",
            )


def _target(session: Session, user_id: uuid.UUID | str) -> Profile:
    try:
        key = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError as exc:
        raise NotFound("No such user.") from exc
    profile = session.get(Profile, key)
    if profile is None:
        raise NotFound("No such user.")
    return profile


def _lock_admin_and_target(session: Session, actor: Principal, target: Profile) -> Profile:
    """Lock the acting admin's and the target's rows (in id order, so two admins acting on
    each other cannot deadlock) and check that the actor is still an active admin.

    Without it two admins demoting or suspending each other at once both succeed and leave
    no admin at all; with it the second finds it is no longer one.
    """
    rows = {}
    for user_id in sorted({actor.user_id, target.id}):
        rows[user_id] = lock_user(session, user_id)
    me = rows[actor.user_id]
    if me.role != "admin" or me.suspended_at is not None:
        raise PermissionDenied("You are no longer an administrator.")
    return rows[target.id]


def suspend_user(session: Session, actor: Principal | None, user_id: uuid.UUID | str) -> Profile:
    """Suspend a user (admins only): they cannot log in, and their sessions and API keys stop
    working at once."""
    actor = require_admin(actor)
    profile = _target(session, user_id)
    if profile.id == actor.user_id:
        raise PermissionDenied("You cannot suspend your own account.")
    profile = _lock_admin_and_target(session, actor, profile)
    return _set_suspended(session, actor.user_id, profile, suspended=True)


def unsuspend_user(session: Session, actor: Principal | None, user_id: uuid.UUID | str) -> Profile:
    """Lift a suspension (admins only). Sessions ended by the suspension stay ended."""
    actor = require_admin(actor)
    return _set_suspended(session, actor.user_id, _target(session, user_id), suspended=False)


def _set_suspended(
    session: Session, actor_id: uuid.UUID | None, profile: Profile, *, suspended: bool
) -> Profile:
    if suspended and profile.suspended_at is None:
        profile.suspended_at = utcnow()
        session.add(profile)
        session.flush()
        sessions.revoke_all_sessions(session, profile.id)
        audit.record(session, actor_id, "account.suspended", "profile", profile.id)
    elif not suspended and profile.suspended_at is not None:
        profile.suspended_at = None
        session.add(profile)
        session.flush()
        audit.record(session, actor_id, "account.unsuspended", "profile", profile.id)
    cache.invalidate_user_now_and_after_commit(session, str(profile.id))
    return profile


def set_suspended_by_email(session: Session, email: str, *, suspended: bool) -> Profile:
    """Suspend or unsuspend from the shell (no acting user: whoever runs the CLI is trusted)."""
    profile = find_profile_by_email(session, email)
    if profile is None:
        raise NotFound(f"No account with the e-mail address {email.strip().lower()}.")
    return _set_suspended(session, None, profile, suspended=suspended)


def set_role(session: Session, actor: Principal | None, email: str, role: str) -> Profile:
    """Give the account with `email` the role `user` or `admin`.

    `actor` None means the shell (trusted); otherwise the actor must be an admin, and an
    admin cannot demote themselves (so the last admin cannot lock everyone out by mistake).
    """
    if actor is not None:
        require_admin(actor)
    if role not in ROLES:
        raise _invalid("role", f"Role must be one of {', '.join(ROLES)}.")
    profile = find_profile_by_email(session, email)
    if profile is None:
        raise NotFound(f"No account with the e-mail address {email.strip().lower()}.")
    if actor is not None and profile.id == actor.user_id and role != "admin":
        raise PermissionDenied("You cannot remove your own admin role.")
    if actor is not None:
        profile = _lock_admin_and_target(session, actor, profile)
    if profile.role != role:
        profile.role = role
        profile.updated_at = utcnow()
        session.add(profile)
        session.flush()
        audit.record(
            session,
            actor.user_id if actor else None,
            "account.role_changed",
            "profile",
            profile.id,
            role=role,
        )
    cache.invalidate_user_now_and_after_commit(session, str(profile.id))
    return profile


def count_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(Profile).where(Profile.role == "admin")
    ).one()


def ensure_active(profile: Profile) -> None:
    """Refuse a suspended account."""
    if profile.suspended_at is not None:
        raise NotAuthenticated(
            "This account is suspended. Contact support if you think this is a mistake."
        )


def has_password(session: Session, user_id: uuid.UUID) -> bool:
    """Whether the user has a local password (Supabase users may not)."""
    return session.get(Credential, user_id) is not None
