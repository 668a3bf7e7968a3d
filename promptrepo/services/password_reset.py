"""Password reset by e-mail: a signed, expiring, single-use link.

The link carries the user id and a fingerprint of the current password hash, signed with
SECRET_KEY (itsdangerous) and timestamped. Using it changes the hash, so the fingerprint no
longer matches and the link dies; it also expires after PASSWORD_RESET_TTL_SECONDS.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session, select

from promptrepo import routes
from promptrepo.models import Credential, Profile
from promptrepo.observability import get_logger
from promptrepo.services import accounts, api_keys, audit, mail, passwords, rate_limits, sessions
from promptrepo.services.errors import RateLimited, ValidationFailed
from promptrepo.services.locks import lock_user
from promptrepo.settings import settings

SALT = "promptrepo.password-reset"
REQUEST_ANSWER = (
    "If an account exists for that address, we have sent it a link to choose a new password. "
    "The link works once and expires in {minutes} minutes."
)
log = get_logger(__name__)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def _current_fingerprint(session: Session, user_id: uuid.UUID) -> str:
    credential = session.exec(
        select(Credential)
        .where(Credential.user_id == user_id)
        .execution_options(populate_existing=True)
    ).first()
    return passwords.fingerprint(credential.password_hash if credential else None)


def make_reset_token(session: Session, profile: Profile) -> str:
    return _serializer().dumps(
        {"uid": str(profile.id), "fp": _current_fingerprint(session, profile.id)}
    )


def reset_link(token: str) -> str:
    return f"{settings.public_url.rstrip('/')}{routes.RESET_PASSWORD}?token={quote(token)}"


def request_answer() -> str:
    return REQUEST_ANSWER.format(minutes=max(1, settings.password_reset_ttl_seconds // 60))


def request_password_reset(session: Session, email: str, *, client_ip: str = "") -> str:
    """Mail a reset link if `email` has an (unsuspended) account.

    Always returns the same sentence, whether or not the account exists (no enumeration).
    With AUTH_PROVIDER=supabase, Supabase sends its own recovery mail.
    Limited per client address (PASSWORD_RESET_ADDRESS_RATE_LIMIT: RateLimited, the same for
    every e-mail) and per e-mail address (PASSWORD_RESET_EMAIL_RATE_LIMIT: past it, the same
    answer and no mail), so nobody can flood an inbox; both count known and unknown
    addresses alike, so neither tells which addresses have an account.
    """
    address = accounts.normalise_email(email)
    answer = request_answer()
    if client_ip:
        status = rate_limits.hit(settings.password_reset_address_rate_limit, "reset-ip", client_ip)
        if not status.allowed:
            raise RateLimited(
                "Too many password reset requests from your network. Try again in "
                f"{max(1, -(-status.retry_after // 60))} minutes.",
                retry_after=status.retry_after,
            )
    if not rate_limits.hit(
        settings.password_reset_email_rate_limit, "reset-email", address
    ).allowed:
        log.info("password_reset_throttled")
        return answer
    if settings.auth_provider == "supabase":
        from promptrepo.services import supabase_tokens

        try:
            supabase_tokens.auth_client().reset_password_for_email(
                address, {"redirect_to": f"{settings.public_url.rstrip('/')}{routes.LOGIN}"}
            )
        except Exception as exc:  # the answer must not reveal anything either way
            log.warning("supabase_recover_failed", error=str(exc))
        return answer
    profile = accounts.find_profile_by_email(session, address)
    if profile is None or profile.suspended_at is not None:
        # The same work as for a real account (a lookup, a signature, a queued job), so the
        # answer time does not tell which addresses have one.
        _serializer().dumps(
            {"uid": str(uuid.uuid4()), "fp": _current_fingerprint(session, uuid.uuid4())}
        )
        mail.queue_nothing()
        log.info("password_reset_requested_unknown")
        return answer
    link = reset_link(make_reset_token(session, profile))
    minutes = max(1, settings.password_reset_ttl_seconds // 60)
    body = (
        f"Hello {profile.name},\n\n"
        "Someone (hopefully you) asked to reset the password of your PromptRepo account.\n"
        f"Choose a new password here (the link works once and expires in {minutes} minutes):\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this e-mail: your password stays the same.\n"
    )
    mail.send_mail_soon(
        profile.email, "Reset your PromptRepo password", body, log_fields={"reset_link": link}
    )
    audit.record(session, profile.id, "account.password_reset_requested", "profile", profile.id)
    return answer


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"loc": ["token"], "msg": message}])


def reset_password(session: Session, token: str, new_password: str) -> Profile:
    """Set a new password from a reset link; every session and API key of the user ends.

    Raises ValidationFailed when the link is invalid, expired or already used, or when the
    new password breaks the rules.
    """
    try:
        data = _serializer().loads(token or "", max_age=settings.password_reset_ttl_seconds)
    except SignatureExpired as exc:
        raise _invalid("This reset link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise _invalid("This reset link is not valid. Ask for a new one.") from exc
    try:
        user_id = uuid.UUID(str(data.get("uid")))
    except (ValueError, AttributeError) as exc:
        raise _invalid("This reset link is not valid. Ask for a new one.") from exc
    profile = session.get(Profile, user_id)
    if profile is None or profile.suspended_at is not None:
        raise _invalid("This reset link is not valid. Ask for a new one.")
    # Under the account's lock, so two requests with one link cannot both pass the
    # fingerprint check: the second sees the new hash and the link is spent.
    lock_user(session, user_id)
    if data.get("fp") != _current_fingerprint(session, user_id):
        raise _invalid("This reset link has already been used. Ask for a new one.")
    passwords.validate_password(new_password)
    accounts.set_password(session, user_id, new_password)
    # Whoever knew the old password may have signed in or made keys: end all of it.
    sessions.revoke_all_sessions(session, user_id)
    api_keys.revoke_all_api_keys(session, user_id)
    audit.record(session, user_id, "account.password_reset", "profile", user_id)
    from promptrepo.services.auth import clear_failures

    clear_failures(profile.email)
    return profile
