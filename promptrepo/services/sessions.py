"""Sign-in sessions: opaque bearer tokens stored as SHA-256, expiring and revocable.

The same token signs in a browser (kept in a cookie) and an API client (`Authorization:
Bearer`). A token is usable while its session is unexpired, unrevoked and its user unsuspended.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, select, update

from promptrepo.db import APP_ROLE, act_as, after_commit
from promptrepo.models import AuthSession, Profile, utcnow
from promptrepo.services import cache
from promptrepo.services.principal import Principal
from promptrepo.settings import settings

TOKEN_PREFIX = "prs_"
# The browser keeps its token in this cookie, set and cleared only by the server
# (api/browser_session.py): HttpOnly, so no script on the page can read it.
SESSION_COOKIE = "pr_session"
# Set and cleared with it, readable by the page and holding nothing secret ("1"): it tells the
# page, before the state has said who is signed in, not to show a visitor's "Log in" and
# "Sign up" to someone who is (components/layout.py, SIGNED_IN_HINT_JS).
SIGNED_IN_HINT_COOKIE = "pr_signed_in"


def token_from_cookie_header(cookie_header: str | None) -> str:
    """The session token in a `Cookie:` request header ("" if there is none).

    Parsed by hand rather than with http.cookies, which drops every cookie of a header when
    one of them (set by anything else on the domain) is malformed.
    """
    for part in (cookie_header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == SESSION_COOKIE:
            value = value.strip().strip('"')
            if value:
                return value
    return ""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    session: Session,
    user_id: uuid.UUID,
    *,
    user_agent: str = "",
    ip_address: str = "",
    ttl_seconds: int | None = None,
) -> str:
    """Start a session for `user_id` and return its token (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ttl = ttl_seconds if ttl_seconds is not None else settings.session_ttl_seconds
    session.add(
        AuthSession(
            user_id=user_id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(seconds=ttl),
            user_agent=user_agent[:255],
            ip_address=ip_address[:64],
        )
    )
    session.flush()
    return token


# Built once: `text()` parses its SQL for parameters each time it is called (1.2% of the app's
# CPU at 300 typing tabs, one autosave at each pause).
_PRINCIPAL = text("SELECT id, email, name, role FROM app_session_principal(:h)")
_PRINCIPAL_ACTING_AS = text(
    "SELECT id, email, name, role, set_config('app.user_id', id::text, true) "
    "FROM app_session_principal(:h)"
)


def resolve_session(session: Session, token: str | None) -> Principal | None:
    """The principal behind a session token, or None if it is unknown, expired or revoked."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    if session.get_bind().dialect.name == "postgresql":
        # Before it knows its user, the app role may see no session row: the lookup goes
        # through the SECURITY DEFINER function of migration 0005, which answers the same.
        found = session.execute(_PRINCIPAL, {"h": hash_token(token)}).first()
        if found is None:
            return None
        return Principal(user_id=found.id, email=found.email, name=found.name, role=found.role)
    row = session.exec(
        select(AuthSession, Profile)
        .join(Profile, Profile.id == AuthSession.user_id)
        .where(AuthSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    auth_session, profile = row
    if (
        auth_session.revoked_at is not None
        or auth_session.expires_at <= utcnow()
        or profile.suspended_at is not None
    ):
        return None
    return Principal(user_id=profile.id, email=profile.email, name=profile.name, role=profile.role)


def resolve_session_and_act_as(session: Session, token: str | None) -> Principal | None:
    """`resolve_session`, and then the session acts as that user (`db.act_as`). On
    PostgreSQL, with the app's own connections, both in one statement (an autosave's)."""
    bind = session.get_bind()
    if (
        bind.dialect.name != "postgresql"
        or bind.url.username != APP_ROLE
        or not token
        or not token.startswith(TOKEN_PREFIX)
    ):
        principal = resolve_session(session, token)
        if principal is not None:
            act_as(session, principal.user_id)
        return principal
    found = session.execute(_PRINCIPAL_ACTING_AS, {"h": hash_token(token)}).first()
    if found is None:
        return None
    act_as(session, found.id, applied=True)
    return Principal(user_id=found.id, email=found.email, name=found.name, role=found.role)


def principal_cache_key(token: str) -> str:
    """Cache key under which a token's principal may be cached (tagged `user:<id>`)."""
    return f"principal:{hash_token(token)}"


def revoke_session(session: Session, token: str) -> None:
    """Log out: the token stops working at once."""
    key = principal_cache_key(token)
    cache.delete(key)
    # Again once the revocation is committed: a request that read the session before the
    # commit must not leave its principal cached.
    after_commit(session, lambda: cache.delete(key))
    session.exec(
        update(AuthSession)
        .where(AuthSession.token_hash == hash_token(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_sessions(
    session: Session, user_id: uuid.UUID, *, except_token: str | None = None
) -> None:
    """End every session of a user (password change, suspension), optionally keeping one."""
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if except_token:
        stmt = stmt.where(AuthSession.token_hash != hash_token(except_token))
    session.exec(stmt.values(revoked_at=utcnow()))
    cache.invalidate_user_now_and_after_commit(session, str(user_id))
