"""Sign-up, sign-in, sign-out and token resolution, whichever provider AUTH_PROVIDER names.

Both providers end in the same place: a profile in our database and one of our own session
tokens (`prs_…`), so expiry, revocation and suspension work the same way for both, and the
UI, the API and every service see the same `Principal`.
"""

from __future__ import annotations

from sqlmodel import Session

from promptrepo.models import Credential, Profile
from promptrepo.observability import get_logger
from promptrepo.services import accounts, passwords, rate_limits, sessions, supabase_tokens
from promptrepo.services.errors import (
    Conflict,
    NotAuthenticated,
    RateLimited,
    ServiceError,
    ValidationFailed,
)
from promptrepo.services.password_reset import (  # noqa: F401  (part of this interface)
    request_password_reset,
    reset_password,
)
from promptrepo.services.principal import Principal
from promptrepo.services.supabase_tokens import InvalidToken, ProviderUnavailable
from promptrepo.settings import settings

BAD_CREDENTIALS = "Incorrect e-mail address or password."
log = get_logger(__name__)


class EmailConfirmationRequired(ServiceError):
    """Supabase created the account but wants the address confirmed before a session."""

    status_code = 202
    title = "Confirm your e-mail address"


def provider() -> str:
    return settings.auth_provider


# --------------------------------------------------------------------------- throttling
# Two budgets of failed logins, each a moving window:
# - per account (LOGIN_RATE_LIMIT, 5 / 15 minutes): guessing one account's password;
# - per client address (LOGIN_ADDRESS_RATE_LIMIT, 100 / 15 minutes): a stuffing run over many
#   accounts from one address, sized so that one person's typos never lock out the
#   colleagues behind the same office or NAT address.
# An attempt takes its unit from both budgets *before* the password is checked (one atomic
# `hit` each), so N concurrent attempts admit at most the budget; a successful attempt
# gives its address unit back and clears the account's failures. Why clearing is safe: only
# someone who knows the password can trigger it, and it hands a concurrent guesser at most
# one more budget per real login, against the 480 a day the window itself allows.
# While an attempt is being checked its units are taken, so more concurrent attempts on one
# account than its budget are refused even when right (a person does not log in 6 times at
# the same instant; a script guessing in parallel does).
def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _reserve_attempt(email: str, client_ip: str) -> None:
    """Count a login attempt against the address's and the account's budgets, or refuse it."""
    if client_ip:
        status = rate_limits.hit(settings.login_address_rate_limit, "login-ip", client_ip)
        if not status.allowed:
            raise RateLimited(
                "Too many failed logins from your network. Try again in "
                f"{_wait_message(status.retry_after)}.",
                retry_after=status.retry_after,
            )
    status = rate_limits.hit(settings.login_rate_limit, "login-email", email)
    if not status.allowed:
        if client_ip:  # this attempt is refused unchecked: it is no failure of the address
            rate_limits.refund(settings.login_address_rate_limit, "login-ip", client_ip)
        raise RateLimited(
            "Too many failed logins. Try again in "
            f"{_wait_message(status.retry_after)}, or reset your password.",
            retry_after=status.retry_after,
        )


def _give_back_attempt(email: str, client_ip: str) -> None:
    if client_ip:
        rate_limits.refund(settings.login_address_rate_limit, "login-ip", client_ip)
    rate_limits.refund(settings.login_rate_limit, "login-email", email)


def _attempt_succeeded(email: str, client_ip: str) -> None:
    if client_ip:
        rate_limits.refund(settings.login_address_rate_limit, "login-ip", client_ip)
    clear_failures(email)


def clear_failures(email: str) -> None:
    """Forget failed logins for an e-mail (after a successful login or a password reset)."""
    rate_limits.clear(settings.login_rate_limit, "login-email", email)


# --------------------------------------------------------------------------- sign-up / in
def _start_session(
    session: Session, profile: Profile, client_ip: str, user_agent: str
) -> tuple[Principal, str]:
    accounts.ensure_active(profile)
    token = sessions.create_session(
        session, profile.id, user_agent=user_agent, ip_address=client_ip
    )
    return accounts.principal_for(profile), token


def _count_sign_up(client_ip: str) -> None:
    """At most SIGNUP_RATE_LIMIT new accounts per client address (no mass sign-ups)."""
    if not client_ip:
        return
    status = rate_limits.hit(settings.signup_rate_limit, "signup", client_ip)
    if not status.allowed:
        raise RateLimited(
            f"Too many new accounts from your address. Try again in {_wait_message(status.retry_after)}.",
            retry_after=status.retry_after,
        )


def sign_up(
    session: Session,
    *,
    email: str,
    password: str,
    name: str,
    client_ip: str = "",
    user_agent: str = "",
) -> tuple[Principal, str]:
    """Create an account (profile + billing, and the credential or identity) and sign it in.

    Returns the principal and a new session token. Raises ValidationFailed for bad input,
    Conflict when the address is taken, EmailConfirmationRequired (Supabase) when the
    provider wants the address confirmed first.
    """
    email = accounts.normalise_email(email)
    name = accounts.normalise_name(name)
    passwords.validate_password(password)
    _count_sign_up(client_ip)
    if provider() == "supabase":
        profile = _supabase_sign_up(session, email=email, password=password, name=name)
    else:
        profile = accounts.create_profile_with_billing(
            session, email=email, name=name, password=password
        )
    log.info("signed_up", user_id=str(profile.id), provider=provider())
    return _start_session(session, profile, client_ip, user_agent)


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    client_ip: str = "",
    user_agent: str = "",
) -> tuple[Principal, str]:
    """Check the e-mail and password and start a session.

    Failed logins are limited per e-mail (LOGIN_RATE_LIMIT) and per client address
    (LOGIN_ADDRESS_RATE_LIMIT), counted before the password is checked; over a limit,
    RateLimited says when to try again. Wrong credentials raise NotAuthenticated with
    the same message whether or not the address has an account. Suspended accounts are refused.
    """
    raw_email = (email or "").strip().lower()
    if not raw_email or not password:
        raise ValidationFailed(
            "Enter your e-mail address and password.",
            errors=[
                {"loc": [field], "msg": "Required."}
                for field, value in (("email", raw_email), ("password", password))
                if not value
            ],
        )
    _reserve_attempt(raw_email, client_ip)
    try:
        profile = _check_credentials(session, raw_email, password)
    except BaseException:  # the provider or the database failed: no verdict, no failure
        _give_back_attempt(raw_email, client_ip)
        raise
    if profile is None:  # the reserved units stay: this attempt was a failure
        log.info("login_failed", ip=client_ip)
        raise NotAuthenticated(BAD_CREDENTIALS)
    _attempt_succeeded(raw_email, client_ip)
    principal, token = _start_session(session, profile, client_ip, user_agent)
    log.info("signed_in", user_id=str(profile.id))
    return principal, token


def _check_credentials(session: Session, email: str, password: str) -> Profile | None:
    """The profile when `password` is right for `email`, else None."""
    if provider() == "supabase":
        return _supabase_sign_in(session, email=email, password=password)
    profile = accounts.find_profile_by_email(session, email)
    credential = session.get(Credential, profile.id) if profile else None
    if not passwords.verify_password(password, credential and credential.password_hash):
        return None
    if passwords.needs_rehash(credential.password_hash):
        accounts.set_password(session, credential.user_id, password)
    return profile


def sign_out(session: Session, token: str | None) -> None:
    """Revoke the session behind `token` (no-op for an unknown token)."""
    if token:
        sessions.revoke_session(session, token)


def principal_from_token(session: Session, token: str | None) -> Principal | None:
    """The user behind a bearer token: one of our `prs_` session tokens, or, when
    AUTH_PROVIDER=supabase, a Supabase access token (verified here; first sight provisions
    the profile). None when the token is unknown, expired, revoked, invalid or suspended."""
    if not token:
        return None
    if token.startswith(sessions.TOKEN_PREFIX):
        return sessions.resolve_session(session, token)
    if provider() == "supabase" and supabase_tokens.looks_like_jwt(token):
        try:
            claims = supabase_tokens.verify_access_token(token)
            profile = supabase_tokens.profile_for_claims(session, claims)
        except InvalidToken as exc:
            log.info("supabase_token_refused", reason=str(exc))
            return None
        if profile.suspended_at is not None:
            return None
        return accounts.principal_for(profile)
    return None


# --------------------------------------------------------------------------- supabase
def _provider_error(exc: Exception) -> ServiceError:
    from supabase_auth.errors import AuthRetryableError

    if isinstance(exc, AuthRetryableError):
        log.warning("supabase_unreachable", error=str(exc))
        return ProviderUnavailable(
            "The sign-in service is not reachable right now. Try again in a minute."
        )
    return ServiceError(str(getattr(exc, "message", "") or exc))


def _profile_from_supabase_session(session: Session, auth_response, name: str = "") -> Profile:
    if auth_response.session is None:
        raise EmailConfirmationRequired("We sent you an e-mail: confirm your address, then log in.")
    try:
        claims = supabase_tokens.verify_access_token(auth_response.session.access_token)
    except InvalidToken as exc:
        log.warning("supabase_token_refused", reason=str(exc))
        raise ProviderUnavailable(
            "The sign-in service answered with a token we cannot verify."
        ) from exc
    if name and not (claims.get("user_metadata") or {}).get("name"):
        claims = {**claims, "user_metadata": {**(claims.get("user_metadata") or {}), "name": name}}
    return supabase_tokens.profile_for_claims(session, claims)


def _supabase_sign_up(session: Session, *, email: str, password: str, name: str) -> Profile:
    from supabase_auth.errors import AuthApiError, AuthError, AuthWeakPasswordError

    if accounts.find_profile_by_email(session, email) is not None:
        raise Conflict(
            accounts.EMAIL_TAKEN, errors=[{"loc": ["email"], "msg": accounts.EMAIL_TAKEN}]
        )
    try:
        response = supabase_tokens.auth_client().sign_up(
            {"email": email, "password": password, "options": {"data": {"name": name}}}
        )
    except AuthWeakPasswordError as exc:
        raise ValidationFailed(
            exc.message, errors=[{"loc": ["password"], "msg": exc.message}]
        ) from exc
    except AuthApiError as exc:
        if exc.code in ("user_already_exists", "email_exists") or exc.status == 422:
            raise Conflict(
                accounts.EMAIL_TAKEN, errors=[{"loc": ["email"], "msg": accounts.EMAIL_TAKEN}]
            ) from exc
        raise _provider_error(exc) from exc
    except AuthError as exc:
        raise _provider_error(exc) from exc
    return _profile_from_supabase_session(session, response, name)


def _supabase_sign_in(session: Session, *, email: str, password: str) -> Profile | None:
    from supabase_auth.errors import AuthApiError, AuthError

    try:
        response = supabase_tokens.auth_client().sign_in_with_password(
            {"email": email, "password": password}
        )
    except AuthApiError as exc:
        if exc.status in (400, 401, 422):
            return None  # invalid credentials (or unconfirmed address): a failed attempt
        raise _provider_error(exc) from exc
    except AuthError as exc:
        raise _provider_error(exc) from exc
    return _profile_from_supabase_session(session, response)
