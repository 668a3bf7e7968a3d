"""Local sign-up, sign-in, sign-out, sessions, throttling and suspension (both databases)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from promptrepo.models import AuditLog, AuthSession, Billing, Credential, Profile, utcnow
from promptrepo.services import accounts, auth, cache, passwords, sessions
from promptrepo.services.errors import (
    Conflict,
    NotAuthenticated,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from promptrepo.settings import settings
from tests.factories import make_user

PASSWORD = "correct horse battery"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def sign_up(session: Session, email: str | None = None, **kw):
    principal, token = auth.sign_up(
        session,
        email=unique_email() if email is None else email,
        password=kw.pop("password", PASSWORD),
        name=kw.pop("name", "Ada Lovelace"),
        **kw,
    )
    session.commit()
    return principal, token


# --------------------------------------------------------------------------- sign-up
def test_sign_up_creates_profile_credential_and_free_billing_and_a_session(
    session: Session,
) -> None:
    principal, token = sign_up(session, "  Ada@Example.COM ", client_ip="10.0.0.1")
    profile = session.get(Profile, principal.user_id)
    assert profile.email == "ada@example.com"
    assert (profile.role, profile.theme_preference, profile.suspended_at) == (
        "user",
        "system",
        None,
    )
    billing = session.exec(select(Billing).where(Billing.user_id == profile.id)).one()
    assert (billing.plan, billing.status) == ("free", "active")
    credential = session.get(Credential, profile.id)
    assert credential.password_hash.startswith("$argon2id$")
    assert PASSWORD not in credential.password_hash
    assert token.startswith("prs_")
    assert sessions.resolve_session(session, token) == principal
    stored = session.exec(select(AuthSession).where(AuthSession.user_id == profile.id)).one()
    assert stored.token_hash != token and stored.ip_address == "10.0.0.1"


def test_sign_up_keeps_nothing_when_a_step_fails(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_billing(*args, **kwargs):
        raise RuntimeError("billing table unavailable")

    monkeypatch.setattr(accounts, "Billing", broken_billing)
    with pytest.raises(RuntimeError):
        auth.sign_up(session, email=unique_email(), password=PASSWORD, name="Half")
    session.rollback()
    assert count(session, Profile) == 0
    assert count(session, Credential) == 0
    assert count(session, Billing) == 0
    assert count(session, AuthSession) == 0


def test_email_is_unique_whatever_its_case(session: Session) -> None:
    sign_up(session, "grace@example.com")
    with pytest.raises(Conflict) as caught:
        sign_up(session, "GRACE@Example.com")
    assert caught.value.errors[0]["loc"] == ["email"]
    session.rollback()
    assert count(session, Profile) == 1


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("password", {"password": "short"}),
        ("password", {"password": "x" * 129}),
        ("email", {"email": "not-an-email"}),
        ("email", {"email": ""}),
        ("name", {"name": "   "}),
        ("name", {"name": "n" * 101}),
    ],
)
def test_sign_up_refuses_bad_input_with_the_field_named(
    session: Session, field: str, kwargs: dict
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        sign_up(session, **kwargs)
    assert caught.value.errors[0]["loc"] == [field]
    session.rollback()
    assert count(session, Profile) == 0


def test_password_rules_are_8_to_128_characters() -> None:
    assert passwords.password_problem("a" * 7)
    assert passwords.password_problem("a" * 8) is None
    assert passwords.password_problem("a" * 128) is None
    assert passwords.password_problem("a" * 129)
    assert passwords.password_problem(" " * 10)


def test_passwords_are_hashed_with_argon2id_and_salted() -> None:
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first.startswith("$argon2id$v=19$") and first != second
    assert passwords.verify_password(PASSWORD, first)
    assert not passwords.verify_password(PASSWORD + "!", first)
    assert not passwords.verify_password(PASSWORD, None)
    assert not passwords.verify_password(PASSWORD, "garbage")


# --------------------------------------------------------------------------- sign-in
def test_sign_in_with_right_password_starts_a_new_session(session: Session) -> None:
    email = unique_email()
    principal, first_token = sign_up(session, email)
    signed_in, token = auth.sign_in(session, email=email.upper(), password=PASSWORD)
    session.commit()
    assert signed_in == principal
    assert token != first_token
    assert auth.principal_from_token(session, token) == principal


@pytest.mark.parametrize("which", ["wrong password", "unknown e-mail"])
def test_sign_in_failure_gives_the_same_clear_message(session: Session, which: str) -> None:
    email = unique_email()
    sign_up(session, email)
    attempt = {
        "wrong password": (email, "not the password"),
        "unknown e-mail": (unique_email(), PASSWORD),
    }
    with pytest.raises(NotAuthenticated) as caught:
        auth.sign_in(session, email=attempt[which][0], password=attempt[which][1])
    assert caught.value.message == "Incorrect e-mail address or password."


def test_sign_in_needs_both_fields(session: Session) -> None:
    with pytest.raises(ValidationFailed):
        auth.sign_in(session, email="", password="")


def test_failed_logins_are_throttled_per_email(
    session: Session, kv_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "login_rate_limit", "3/15 minutes")
    email = unique_email()
    sign_up(session, email)
    for attempt in range(3):
        with pytest.raises(NotAuthenticated):
            auth.sign_in(session, email=email, password="wrong", client_ip=f"10.0.0.{attempt}")
    # Even the right password is refused now, with a message that says when to retry.
    with pytest.raises(RateLimited) as caught:
        auth.sign_in(session, email=email, password=PASSWORD, client_ip="10.0.0.9")
    assert "Try again in 15 minutes" in caught.value.message
    assert 800 < caught.value.retry_after <= 900


def test_failed_logins_are_throttled_per_client_address(
    session: Session, kv_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "login_address_rate_limit", "3/15 minutes")
    victim = unique_email()
    sign_up(session, victim)
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            auth.sign_in(session, email=unique_email(), password="wrong", client_ip="203.0.113.7")
    with pytest.raises(RateLimited):
        auth.sign_in(session, email=victim, password=PASSWORD, client_ip="203.0.113.7")
    # Another address is not affected.
    principal, _ = auth.sign_in(session, email=victim, password=PASSWORD, client_ip="203.0.113.8")
    assert principal.email == victim


def test_a_successful_login_forgets_earlier_failures_for_that_email(
    session: Session, kv_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "login_rate_limit", "3/15 minutes")
    email = unique_email()
    sign_up(session, email)
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            auth.sign_in(session, email=email, password="wrong")
    auth.sign_in(session, email=email, password=PASSWORD)
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            auth.sign_in(session, email=email, password="wrong")
    auth.sign_in(session, email=email, password=PASSWORD)


# --------------------------------------------------------------------------- sessions
def test_sign_out_revokes_the_session_on_the_server(session: Session) -> None:
    _, token = sign_up(session)
    auth.sign_out(session, token)
    session.commit()
    assert auth.principal_from_token(session, token) is None


def test_sessions_expire_after_their_lifetime(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "session_ttl_seconds", 60)
    principal, token = sign_up(session)
    stored = session.exec(select(AuthSession).where(AuthSession.user_id == principal.user_id)).one()
    assert timedelta(seconds=55) < stored.expires_at - utcnow() <= timedelta(seconds=60)
    stored.expires_at = utcnow() - timedelta(seconds=1)
    session.add(stored)
    session.commit()
    assert auth.principal_from_token(session, token) is None


def test_default_session_lifetime_is_seven_days(session: Session) -> None:
    principal, _ = sign_up(session)
    stored = session.exec(select(AuthSession).where(AuthSession.user_id == principal.user_id)).one()
    assert timedelta(days=7) - (stored.expires_at - utcnow()) < timedelta(minutes=1)


def test_unknown_or_malformed_tokens_resolve_to_nobody(session: Session) -> None:
    for token in (None, "", "prs_nope", "garbage", "a.b.c"):
        assert auth.principal_from_token(session, token) is None


# --------------------------------------------------------------------------- suspension
def test_suspended_user_cannot_log_in_and_their_sessions_stop_at_once(
    session: Session, kv_backend: str
) -> None:
    admin = make_user(session, role="admin")
    email = unique_email()
    principal, token = sign_up(session, email)
    cache.put(sessions.principal_cache_key(token), "cached", tags=[f"user:{principal.user_id}"])

    accounts.suspend_user(session, admin, principal.user_id)
    session.commit()
    assert auth.principal_from_token(session, token) is None
    assert cache.get(sessions.principal_cache_key(token)) is None
    with pytest.raises(NotAuthenticated) as caught:
        auth.sign_in(session, email=email, password=PASSWORD)
    assert "suspended" in caught.value.message
    assert (
        session.exec(select(AuditLog).where(AuditLog.action == "account.suspended")).one().actor_id
        == admin.user_id
    )

    accounts.unsuspend_user(session, admin, principal.user_id)
    session.commit()
    assert auth.principal_from_token(session, token) is None  # ended sessions stay ended
    assert auth.sign_in(session, email=email, password=PASSWORD)[0] == principal


def test_only_admins_suspend_and_nobody_suspends_themselves(session: Session) -> None:
    admin = make_user(session, role="admin")
    user = make_user(session)
    other = make_user(session)
    with pytest.raises(PermissionDenied):
        accounts.suspend_user(session, user, other.user_id)
    with pytest.raises(NotAuthenticated):
        accounts.suspend_user(session, None, other.user_id)
    with pytest.raises(PermissionDenied):
        accounts.suspend_user(session, admin, admin.user_id)
    assert session.get(Profile, other.user_id).suspended_at is None


def test_sign_ups_are_limited_per_client_address(
    session: Session, kv_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "signup_rate_limit", "2/hour")
    address, other = f"198.51.100.1-{uuid.uuid4().hex}", f"198.51.100.2-{uuid.uuid4().hex}"
    sign_up(session, unique_email(), client_ip=address)
    sign_up(session, unique_email(), client_ip=address)
    with pytest.raises(RateLimited, match="Too many new accounts"):
        sign_up(session, unique_email(), client_ip=address)
    sign_up(session, unique_email(), client_ip=other)
