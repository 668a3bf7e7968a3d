"""/api/auth: the browser's sign-in, sign-up and sign-out, which set and clear the session cookie.

The cookie (`pr_session`) is `HttpOnly` (no script on the page can read it, so an XSS bug
cannot hand out sessions), `SameSite=Lax`, and `Secure` when PUBLIC_URL is https. The pages
post here with `fetch` and then load the next page in full, so the websocket reconnects
with the new cookie, which the Reflex state reads from the connection's request headers
(state/base.py). Programs use /api/v1/auth instead (bearer tokens, no cookie).

Each request must come from one of our origins (PUBLIC_URL, CORS_ORIGINS) when it carries an
`Origin` header, as every browser's POST does: another site can neither log a visitor in to
an account of its choosing nor log them out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field

from promptrepo import routes
from promptrepo.api.deps import AnonymousLimit, PlainSessionDep, client_ip
from promptrepo.api.schemas import ApiModel, StrictInput
from promptrepo.services import auth
from promptrepo.services.errors import ServiceError
from promptrepo.services.sessions import (
    SESSION_COOKIE,
    SIGNED_IN_HINT_COOKIE,
    token_from_cookie_header,
)
from promptrepo.settings import settings

router = APIRouter(prefix="/api/auth", tags=["browser session"])


class ForeignOrigin(ServiceError):
    status_code = 403
    title = "Forbidden"


class BrowserLoginIn(StrictInput):
    email: str = Field(default="", max_length=320)
    password: str = Field(default="", max_length=1000)
    next: str = Field(default="", max_length=2000, description="Where to go once signed in.")


class BrowserSignUpIn(BrowserLoginIn):
    name: str = Field(default="", max_length=200)


class SignedIn(ApiModel):
    next: str = Field(description="The page to load now (a path on this site).")


class ConfirmationNeeded(ApiModel):
    notice: str


def check_origin(request: Request) -> None:
    """Refuse a request sent by a page of another site (or an opaque `null` origin)."""
    origin = request.headers.get("origin")
    if origin is not None and not settings.origin_allowed(origin):
        raise ForeignOrigin("This request came from another site.")


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_seconds,
        path="/",
        secure=settings.uses_https,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        SIGNED_IN_HINT_COOKIE,
        "1",
        max_age=settings.session_ttl_seconds,
        path="/",
        secure=settings.uses_https,
        samesite="lax",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.uses_https, httponly=True, samesite="lax"
    )
    response.delete_cookie(
        SIGNED_IN_HINT_COOKIE, path="/", secure=settings.uses_https, samesite="lax"
    )


@router.post(
    "/login",
    response_model=SignedIn,
    summary="Sign the browser in",
    responses={401: {"description": "Wrong e-mail or password"}, 429: {"description": "Throttled"}},
)
def login(
    body: BrowserLoginIn,
    request: Request,
    response: Response,
    session: PlainSessionDep,
    _limit: AnonymousLimit,
) -> SignedIn:
    """Check the e-mail and password (throttled like every login) and set the HttpOnly
    session cookie. Answers with the page to load next (`next` if it is a path on this site)."""
    check_origin(request)
    _principal, token = auth.sign_in(
        session,
        email=body.email,
        password=body.password,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    set_session_cookie(response, token)
    return SignedIn(next=routes.safe_next(body.next))


@router.post(
    "/signup",
    response_model=SignedIn,
    summary="Create an account and sign the browser in",
    responses={
        202: {"model": ConfirmationNeeded, "description": "Confirm the e-mail address first"},
        409: {"description": "The e-mail address is taken"},
    },
)
def signup(
    body: BrowserSignUpIn,
    request: Request,
    response: Response,
    session: PlainSessionDep,
    _limit: AnonymousLimit,
):
    """Create an account on the free plan and set the HttpOnly session cookie. With Supabase
    asking for a confirmed address first, 202 and the notice to show (no cookie)."""
    check_origin(request)
    try:
        _principal, token = auth.sign_up(
            session,
            email=body.email,
            password=body.password,
            name=body.name,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except auth.EmailConfirmationRequired as exc:
        response.status_code = 202
        return ConfirmationNeeded(notice=exc.message)
    set_session_cookie(response, token)
    return SignedIn(next=routes.safe_next(body.next))


@router.post("/logout", status_code=204, summary="Sign the browser out")
def logout(request: Request, session: PlainSessionDep) -> Response:
    """Revoke the session in the cookie (if any) and clear the cookie."""
    check_origin(request)
    auth.sign_out(session, token_from_cookie_header(request.headers.get("cookie")))
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response
