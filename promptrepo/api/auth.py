"""/api/v1/auth: sign up and get an access token with e-mail and password; sign out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from promptrepo.api.deps import AnonymousLimit, BearerCredentials, PlainSessionDep, client_ip
from promptrepo.api.me import profile_out
from promptrepo.api.schemas import SignUpIn, TokenIn, TokenOut
from promptrepo.services import accounts, auth
from promptrepo.services.principal import Principal
from promptrepo.settings import settings

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _token_out(session, principal: Principal, token: str) -> TokenOut:
    profile = accounts.get_profile(session, principal)
    return TokenOut(
        user=profile_out(session, profile),
        access_token=token,
        expires_in=settings.session_ttl_seconds,
    )


@router.post(
    "/signup",
    response_model=TokenOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
)
def sign_up(body: SignUpIn, request: Request, session: PlainSessionDep, _limit: AnonymousLimit):
    """Create an account on the free plan and get an access token. 409 if the e-mail is taken."""
    principal, token = auth.sign_up(
        session,
        email=body.email,
        password=body.password,
        name=body.name,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return _token_out(session, principal, token)


@router.post("/token", response_model=TokenOut, summary="Get an access token")
def get_token(body: TokenIn, request: Request, session: PlainSessionDep, _limit: AnonymousLimit):
    """Exchange e-mail and password for an access token. 401 on bad credentials; failed
    attempts are throttled per e-mail and per address like the login page (429)."""
    principal, token = auth.sign_in(
        session,
        email=body.email,
        password=body.password,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return _token_out(session, principal, token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke your access token")
def sign_out(session: PlainSessionDep, credentials: BearerCredentials) -> Response:
    """Revoke the access token sent in the Authorization header (API keys are revoked at
    DELETE /api/v1/api-keys/{id})."""
    if credentials is not None:
        auth.sign_out(session, credentials.credentials)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
