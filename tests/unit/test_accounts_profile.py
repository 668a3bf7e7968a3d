"""Profile settings, password change, deletion and roles: each user acts only on themselves."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session, func, select

from promptrepo.models import ApiKey, AuthSession, Billing, Credential, Profile, Project
from promptrepo.services import accounts, auth, cache, sessions
from promptrepo.services.errors import (
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.factories import make_user

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"


def signed_up(session: Session, name: str = "Ada"):
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    principal, token = auth.sign_up(session, email=email, password=PASSWORD, name=name)
    session.commit()
    return principal, token


def test_user_changes_own_name_and_theme(session: Session) -> None:
    principal, _ = signed_up(session)
    profile = accounts.update_profile(
        session, principal, name="  Ada   King ", theme_preference="dark"
    )
    session.commit()
    assert (profile.name, profile.theme_preference) == ("Ada King", "dark")
    assert accounts.get_profile(session, principal).theme_preference == "dark"


@pytest.mark.parametrize(
    "change", [{"name": ""}, {"name": "x" * 101}, {"theme_preference": "purple"}]
)
def test_bad_profile_changes_are_refused_and_nothing_changes(
    session: Session, change: dict
) -> None:
    principal, _ = signed_up(session)
    with pytest.raises(ValidationFailed):
        accounts.update_profile(session, principal, **change)
    session.rollback()
    profile = session.get(Profile, principal.user_id)
    assert (profile.name, profile.theme_preference) == ("Ada", "system")


def test_one_user_cannot_read_or_change_another_users_profile(session: Session) -> None:
    alice, _ = signed_up(session, "Alice")
    bob, _ = signed_up(session, "Bob")
    # Every profile function acts on the principal's own row: there is no way to name another.
    assert accounts.get_profile(session, bob).email == bob.email
    accounts.update_profile(session, bob, name="Bobby", theme_preference="light")
    session.commit()
    alice_row = session.get(Profile, alice.user_id)
    assert (alice_row.name, alice_row.theme_preference) == ("Alice", "system")
    # Bob cannot delete Alice by typing her address: the confirmation is checked against his.
    with pytest.raises(ValidationFailed):
        accounts.delete_account(session, bob, confirmation=alice.email)
    session.rollback()
    assert session.get(Profile, alice.user_id) is not None
    # A forged principal for a user who does not exist finds nothing.
    ghost = accounts.principal_for(Profile(id=uuid.uuid4(), email="g@example.com", name="G"))
    with pytest.raises(NotFound):
        accounts.update_profile(session, ghost, name="Ghost")


def test_anonymous_callers_are_refused(session: Session) -> None:
    for call in (
        lambda: accounts.get_profile(session, None),
        lambda: accounts.update_profile(session, None, name="x"),
        lambda: accounts.change_password(
            session, None, current_password=PASSWORD, new_password=NEW_PASSWORD
        ),
        lambda: accounts.delete_account(session, None, confirmation="x"),
    ):
        with pytest.raises(NotAuthenticated):
            call()


def test_password_change_needs_the_current_password(session: Session) -> None:
    principal, _ = signed_up(session)
    with pytest.raises(ValidationFailed) as caught:
        accounts.change_password(
            session, principal, current_password="wrong password", new_password=NEW_PASSWORD
        )
    assert caught.value.errors[0]["loc"] == ["current_password"]
    with pytest.raises(ValidationFailed) as caught:
        accounts.change_password(
            session, principal, current_password=PASSWORD, new_password="short"
        )
    assert caught.value.errors[0]["loc"] == ["new_password"]


def test_password_change_logs_out_every_other_session(session: Session, kv_backend: str) -> None:
    principal, here = signed_up(session)
    _, elsewhere = auth.sign_in(session, email=principal.email, password=PASSWORD)
    session.commit()
    cache.put(sessions.principal_cache_key(elsewhere), "x", tags=[f"user:{principal.user_id}"])

    accounts.change_password(
        session,
        principal,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        keep_token=here,
    )
    session.commit()
    assert auth.principal_from_token(session, here) == principal
    assert auth.principal_from_token(session, elsewhere) is None
    assert cache.get(sessions.principal_cache_key(elsewhere)) is None
    with pytest.raises(NotAuthenticated):
        auth.sign_in(session, email=principal.email, password=PASSWORD)
    assert auth.sign_in(session, email=principal.email, password=NEW_PASSWORD)[0] == principal


@pytest.mark.parametrize("revoke", [False, True])
def test_password_change_revokes_api_keys_only_when_asked(session: Session, revoke: bool) -> None:
    from promptrepo.services import api_keys

    principal, here = signed_up(session)
    _, key = api_keys.create_api_key(session, principal, name="ci", scope="read")
    session.commit()
    accounts.change_password(
        session,
        principal,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        keep_token=here,
        revoke_api_keys=revoke,
    )
    session.commit()
    assert (api_keys.principal_from_api_key(session, key) is None) == revoke
    assert auth.principal_from_token(session, here) == principal  # this session stays


def test_delete_account_needs_typed_confirmation_and_removes_the_users_data(
    session: Session,
) -> None:
    principal, token = signed_up(session)
    other, _ = signed_up(session, "Other")
    session.add(Project(user_id=principal.user_id, name="Mine"))
    session.add(
        ApiKey(user_id=principal.user_id, name="k", prefix="pr_abc", key_hash=uuid.uuid4().hex)
    )
    session.commit()

    with pytest.raises(ValidationFailed):
        accounts.delete_account(session, principal, confirmation="delete")
    session.rollback()
    accounts.delete_account(session, principal, confirmation=principal.email.upper())
    session.commit()

    for model, column in (
        (Profile, Profile.id),
        (Credential, Credential.user_id),
        (Billing, Billing.user_id),
        (AuthSession, AuthSession.user_id),
        (ApiKey, ApiKey.user_id),
        (Project, Project.user_id),
    ):
        remaining = session.exec(
            select(func.count()).select_from(model).where(column == principal.user_id)
        ).one()
        assert remaining == 0, model.__name__
    assert auth.principal_from_token(session, token) is None
    assert session.get(Profile, other.user_id) is not None


def test_set_role_promotes_from_the_shell_and_admins_only_otherwise(session: Session) -> None:
    user = make_user(session, email="promote-me@example.com")
    plain = make_user(session)
    assert accounts.set_role(session, None, "Promote-Me@Example.com", "admin").role == "admin"
    admin = accounts.principal_for(session.get(Profile, user.user_id))
    with pytest.raises(PermissionDenied):
        accounts.set_role(session, plain, admin.email, "user")
    with pytest.raises(PermissionDenied):
        accounts.set_role(session, admin, admin.email, "user")
    with pytest.raises(ValidationFailed):
        accounts.set_role(session, None, admin.email, "owner")
    with pytest.raises(NotFound):
        accounts.set_role(session, None, "nobody@example.com", "admin")
    assert accounts.set_role(session, admin, plain.email, "admin").role == "admin"


def test_an_admin_cannot_suspend_or_demote_themselves(session: Session) -> None:
    admin = make_user(session, name="Only admin", role="admin")
    with pytest.raises(PermissionDenied, match="your own account"):
        accounts.suspend_user(session, admin, admin.user_id)
    with pytest.raises(PermissionDenied, match="your own admin role"):
        accounts.set_role(session, admin, admin.email, "user")
    profile = session.get(Profile, admin.user_id)
    assert (profile.role, profile.suspended_at) == ("admin", None)


def test_role_change_drops_cached_principals(session: Session, kv_backend: str) -> None:
    principal, token = signed_up(session)
    key = sessions.principal_cache_key(token)
    cache.put(key, "stale", tags=[f"user:{principal.user_id}"])
    accounts.set_role(session, None, principal.email, "admin")
    session.commit()
    assert cache.get(key) is None
    assert auth.principal_from_token(session, token).role == "admin"
