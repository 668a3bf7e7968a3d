"""API keys: a program's credential (`pr_…`), shown once, stored only as its SHA-256.

A key acts for its owner with a scope: `read` (GET only) or `write` (everything the owner
may do), on all the owner's projects or on one (`project_id`). Its `public_key` (`pk-…`) names
it without being secret: the Langfuse-compatible API takes `public_key:secret` as HTTP Basic. Revoking a key or suspending its owner stops it on the next request: the cached
principal is dropped once the change commits.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, select, update

from promptrepo.db import after_commit
from promptrepo.models import ApiKey, Profile, utcnow
from promptrepo.models.users import API_KEY_SCOPES
from promptrepo.services import access, audit, cache
from promptrepo.services.errors import NotFound, PermissionDenied, ValidationFailed
from promptrepo.services.locks import lock_user
from promptrepo.services.principal import Principal, require_user, require_write

KEY_PREFIX = "pr_"

# How many characters of the secret are kept for display ("pr_AbC12…").
DISPLAY_PREFIX_LEN = 10
MAX_KEYS_PER_USER = 50
# last_used_at is written at most this often per key, so a busy key costs no write per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def principal_cache_key_for_hash(key_hash: str) -> str:
    """Same key as `sessions.principal_cache_key(secret)` (both hash the bearer token)."""
    return f"principal:{key_hash}"


def _drop_cached_principal_after_commit(session: Session, key_hash: str) -> None:
    """Forget the cached principal once the revocation is visible to every other request."""
    cache.delete(principal_cache_key_for_hash(key_hash))
    after_commit(session, lambda: cache.delete(principal_cache_key_for_hash(key_hash)))


def create_api_key(
    session: Session,
    principal: Principal | None,
    *,
    name: str,
    scope: str = "read",
    project_id: uuid.UUID | str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for the principal; returns the row and the secret (shown once, never stored).

    With `project_id` (one of the principal's projects) the key reaches only that project.
    Only a signed-in session may create keys (an API key cannot mint more keys).
    """
    principal = require_user(principal)
    if principal.api_key_scope is not None:
        raise PermissionDenied("API keys cannot create other API keys; sign in instead.")
    name = (name or "").strip()
    errors = []
    if not 1 <= len(name) <= 100:
        errors.append({"loc": ["body", "name"], "msg": "Name must be 1 to 100 characters."})
    if scope not in API_KEY_SCOPES:
        errors.append({"loc": ["body", "scope"], "msg": "Scope must be 'read' or 'write'."})
    if errors:
        raise ValidationFailed("The API key is invalid.", errors=errors)
    lock_user(session, principal.user_id)  # concurrent creates count one after another
    if project_id is not None:
        project_id = access.get_project(session, principal, project_id, need="member").id
    active = session.exec(
        select(ApiKey.id).where(ApiKey.user_id == principal.user_id, ApiKey.revoked_at.is_(None))
    ).all()
    if len(active) >= MAX_KEYS_PER_USER:
        raise ValidationFailed(
            f"You can have at most {MAX_KEYS_PER_USER} active API keys; revoke one first.",
            errors=[{"loc": ["body"], "msg": "Too many active API keys."}],
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        user_id=principal.user_id,
        name=name,
        prefix=secret[:DISPLAY_PREFIX_LEN],
        key_hash=hash_secret(secret),
        scope=scope,
        project_id=project_id,
    )  # public_key: the model's default (pk-…)
    session.add(key)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "api_key.create",
        "api_key",
        key.id,
        scope=scope,
        project_id=str(project_id) if project_id else None,
    )
    return key, secret


def list_api_keys(
    session: Session,
    principal: Principal | None,
    *,
    include_revoked: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[ApiKey]:
    """The principal's keys, newest first (the secret is never part of them)."""
    principal = require_user(principal)
    stmt = select(ApiKey).where(ApiKey.user_id == principal.user_id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    stmt = stmt.order_by(ApiKey.created_at.desc(), ApiKey.id.desc()).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt).all())


def revoke_api_key(
    session: Session, principal: Principal | None, key_id: uuid.UUID | str
) -> ApiKey:
    """Revoke one of the principal's keys; it stops working on the next request.

    Another user's key is "not found". Revoking an already revoked key changes nothing.
    """
    principal = require_write(principal)
    try:
        key_uuid = key_id if isinstance(key_id, uuid.UUID) else uuid.UUID(str(key_id))
    except ValueError:
        raise NotFound("API key not found.") from None
    key = session.get(ApiKey, key_uuid)
    if key is None or key.user_id != principal.user_id:
        raise NotFound("API key not found.")
    # A conditional UPDATE: of two concurrent revocations one changes the row and is audited.
    revoked = session.exec(
        update(ApiKey)
        .where(ApiKey.id == key.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(key)
    if revoked.rowcount:
        audit.record(session, principal.user_id, "api_key.revoke", "api_key", key.id)
    _drop_cached_principal_after_commit(session, key.key_hash)
    return key


def revoke_all_api_keys(session: Session, user_id: uuid.UUID) -> None:
    """Revoke every key of a user (account deletion, suspension by an admin)."""
    hashes = session.exec(
        select(ApiKey.key_hash).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
    ).all()
    session.exec(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    for key_hash in hashes:
        _drop_cached_principal_after_commit(session, key_hash)
    cache.invalidate_user_now_and_after_commit(session, str(user_id))


def principal_from_api_key(session: Session, secret: str | None) -> Principal | None:
    """The principal a key acts as, or None when it is unknown, revoked or its owner suspended.

    Records when the key was last used, at most once a minute per key.
    """
    if not secret or not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    row = session.exec(
        select(ApiKey, Profile)
        .join(Profile, Profile.id == ApiKey.user_id)
        .where(ApiKey.key_hash == hash_secret(secret))
    ).first()
    if row is None:
        return None
    key, profile = row
    if key.revoked_at is not None or profile.suspended_at is not None:
        return None
    now = utcnow()
    if _needs_touch(key.last_used_at, now):
        # A conditional UPDATE, so concurrent workers do not pile up writes on one row.
        session.exec(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .where(
                (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - LAST_USED_RESOLUTION)
            )
            .values(last_used_at=now)
        )
    return Principal(
        user_id=profile.id,
        email=profile.email,
        name=profile.name,
        role=profile.role,
        api_key_scope=key.scope,
        api_key_project_id=key.project_id,
        api_key_public_key=key.public_key,
    )


def _needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION
