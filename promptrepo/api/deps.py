"""FastAPI dependencies shared by every router: the database session and the caller.

`Authorization: Bearer <token>` carries an API key (`pr_…`) or a session access token (ours,
`prs_…`, or a Supabase JWT when AUTH_PROVIDER=supabase). Resolving it goes through
`api.gate.admit`, which also applies the caller's per-plan rate limit; the figures are kept on
`request.state.ratelimit` for the RateLimit-* headers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from promptrepo.api import gate
from promptrepo.db import act_as, session_scope, system_scope
from promptrepo.services import api_keys, rate_limits, render_pool
from promptrepo.services.errors import NotAuthenticated
from promptrepo.services.principal import Principal, require_write
from promptrepo.settings import settings

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API key (`pr_…`, from POST /api/v1/api-keys) or an access token "
    "(from POST /api/v1/auth/token or /api/v1/auth/signup).",
)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def limit_anonymous(request: Request) -> None:
    """Count a call without credentials against its client address (API_ANONYMOUS_RATE_LIMIT)."""
    status = await rate_limits.hit_async(
        settings.api_anonymous_rate_limit, "api-anon", client_ip(request)
    )
    request.state.ratelimit = status
    if not status.allowed:
        raise gate.ApiRateLimited(status)


AnonymousLimit = Annotated[None, Depends(limit_anonymous)]


def session_exempt_from_rate_limit(endpoint):
    """Mark a route that a signed-in user (session token, not an API key) always reaches:
    listing and revoking API keys must work while an abused key has used up the account's
    per-minute budget. Calls with an API key are still counted."""
    endpoint.session_exempt_from_rate_limit = True
    return endpoint


async def optional_principal(request: Request, credentials: BearerCredentials) -> Principal | None:
    """The caller, or None without an Authorization header. Bad credentials are a 401."""
    if credentials is None:
        if request.headers.get("authorization"):
            raise NotAuthenticated("Use 'Authorization: Bearer <token>'.")
        await limit_anonymous(request)
        return None
    if credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("Use 'Authorization: Bearer <token>'.")
    token = credentials.credentials
    if getattr(request.scope.get("endpoint"), "session_exempt_from_rate_limit", False) and (
        not token.startswith(api_keys.KEY_PREFIX)
    ):
        return await gate.identify(token)
    try:
        admission = await gate.admit(token)
    except gate.ApiRateLimited as exc:
        request.state.ratelimit = exc.status
        raise
    request.state.ratelimit = admission.limit
    # This request's renders take turns with the account's others (services/render_pool.py);
    # set in the request's own context, which its route (and thread) inherits.
    render_pool.render_account.set(str(admission.principal.user_id))
    return admission.principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The caller; 401 without valid credentials."""
    if principal is None:
        raise NotAuthenticated("Authentication required: send 'Authorization: Bearer <token>'.")
    return principal


async def write_principal(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """The caller, who must be allowed to write (a session or a read-write key); else 403."""
    return require_write(principal)


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
WritePrincipal = Annotated[Principal, Depends(write_principal)]


def get_session(principal: OptionalPrincipal) -> Iterator[Session]:
    """A session for one request, committed before the response is sent (rolled back on
    error) and, on PostgreSQL, confined by row-level security to what the caller may see
    (signed out: public projects only) behind the services' own checks."""
    with session_scope() as session:
        act_as(session, principal.user_id if principal else None)
        yield session


def get_plain_session() -> Iterator[Session]:
    """A session for sign-up, sign-in and sign-out, which create or look up accounts before
    there is a caller: the "sign-in" system path (db.SYSTEM_PATHS)."""
    with system_scope("sign-in") as session:
        yield session


# scope="function": the commit happens before the response goes out, so a client that reads
# right after a write sees it, and a failed commit becomes an error response.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
PlainSessionDep = Annotated[Session, Depends(get_plain_session, scope="function")]
