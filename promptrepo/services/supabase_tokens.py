"""Supabase as identity provider: its client for sign-up/sign-in, and our own verification
of its access tokens (PyJWT), plus first-sight provisioning of a profile.

Tokens are checked here, never trusted from the client library: signature (HS256 with the
project's JWT secret, or ES256/RS256 from the project's JWKS), `exp`, `aud=authenticated`,
the issuer `{SUPABASE_URL}/auth/v1`, and the presence of exp/sub/aud/iss. `alg=none` and any
algorithm other than those three are refused.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jwt
from sqlmodel import Session, select

from promptrepo.models import Identity, Profile
from promptrepo.observability import get_logger
from promptrepo.services.errors import ServiceError
from promptrepo.settings import settings

PROVIDER = "supabase"
AUDIENCE = "authenticated"
ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")
log = get_logger(__name__)


class ProviderUnavailable(ServiceError):
    status_code = 503
    title = "Sign-in provider unavailable"


class InvalidToken(Exception):
    """The token is not a valid Supabase access token for this project."""


def base_url() -> str:
    if not settings.supabase_url:
        raise ProviderUnavailable("Supabase is not configured (set SUPABASE_URL).")
    return settings.supabase_url.rstrip("/")


def issuer() -> str:
    return f"{base_url()}/auth/v1"


def jwks_url() -> str:
    return f"{issuer()}/.well-known/jwks.json"


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # Keys are cached for 5 minutes; an unknown `kid` triggers one refetch (key rotation).
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)


def looks_like_jwt(token: str | None) -> bool:
    return bool(token) and token.count(".") == 2


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid Supabase access token; raises InvalidToken otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from exc
    algorithm = header.get("alg")
    if algorithm == "HS256":
        if not settings.supabase_jwt_secret:
            raise InvalidToken("HS256 token but SUPABASE_JWT_SECRET is not set")
        key: Any = settings.supabase_jwt_secret
    elif algorithm in ASYMMETRIC_ALGORITHMS:
        try:
            key = _jwks_client(jwks_url()).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(f"no matching signing key: {exc}") from exc
    else:
        raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=AUDIENCE,
            issuer=issuer(),
            options={"require": ["exp", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc


def profile_for_claims(session: Session, claims: dict[str, Any]) -> Profile:
    """The profile linked to the token's subject; created (with billing) on first sight.

    A Supabase user whose e-mail matches an existing profile (e.g. an admin made with the
    CLI) is linked to it: Supabase has confirmed that they own the address.
    """
    from promptrepo.services import accounts  # accounts imports nothing from here

    subject = str(claims["sub"])
    row = session.exec(
        select(Profile)
        .join(Identity, Identity.user_id == Profile.id)
        .where(Identity.provider == PROVIDER, Identity.subject == subject)
    ).first()
    if row is not None:
        return row
    email = claims.get("email") or ""
    if not email:
        raise InvalidToken("token has no e-mail claim")
    existing = accounts.find_profile_by_email(session, email)
    if existing is not None:
        session.add(Identity(user_id=existing.id, provider=PROVIDER, subject=subject))
        session.flush()
        log.info("supabase_identity_linked", user_id=str(existing.id))
        return existing
    metadata = claims.get("user_metadata") or {}
    name = metadata.get("name") or metadata.get("full_name") or email.split("@")[0]
    profile = accounts.create_profile_with_billing(
        session, email=email, name=str(name)[:100], identity=(PROVIDER, subject)
    )
    log.info("supabase_user_provisioned", user_id=str(profile.id))
    return profile


def auth_client():
    """A fresh Supabase auth client (no session persistence: we keep our own sessions)."""
    from supabase import ClientOptions, create_client

    if not settings.supabase_anon_key:
        raise ProviderUnavailable("Supabase is not configured (set SUPABASE_ANON_KEY).")
    client = create_client(
        base_url(),
        settings.supabase_anon_key,
        options=ClientOptions(auto_refresh_token=False, persist_session=False),
    )
    return client.auth


def delete_user(subject: str) -> bool:
    """Delete the Supabase user `subject` (GoTrue's admin API, with the service role key).

    Returns False when no service role key is configured (nothing is deleted there); raises
    ProviderUnavailable when Supabase refuses or cannot be reached. A user Supabase no longer
    has counts as deleted."""
    from supabase import ClientOptions, create_client
    from supabase_auth.errors import AuthApiError, AuthError

    if not settings.supabase_service_role_key:
        return False
    client = create_client(
        base_url(),
        settings.supabase_service_role_key,
        options=ClientOptions(auto_refresh_token=False, persist_session=False),
    )
    try:
        client.auth.admin.delete_user(subject)
    except AuthApiError as exc:
        if exc.status == 404:
            return True
        log.warning("supabase_user_delete_refused", subject=subject, error=str(exc))
        raise ProviderUnavailable(
            "The sign-in service refused to delete your sign-in; nothing was deleted. "
            "Try again in a minute."
        ) from exc
    except AuthError as exc:
        log.warning("supabase_user_delete_failed", subject=subject, error=str(exc))
        raise ProviderUnavailable(
            "The sign-in service is not reachable right now; nothing was deleted. "
            "Try again in a minute."
        ) from exc
    return True
