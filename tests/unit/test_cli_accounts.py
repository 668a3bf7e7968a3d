"""The account commands of the shell CLI, against the test database."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from promptrepo import cli
from promptrepo.models import Billing, Profile
from promptrepo.services import auth
from tests.factories import make_user

PASSWORD = "correct horse battery"


def test_make_admin_creates_an_admin_who_can_log_in(
    session: Session, use_engine, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["make-admin", "Root@Example.com", "--password", PASSWORD]) == 0
    assert "Created the admin account root@example.com" in capsys.readouterr().out
    profile = session.exec(select(Profile).where(Profile.email == "root@example.com")).one()
    assert profile.role == "admin"
    assert session.exec(select(Billing).where(Billing.user_id == profile.id)).one().plan == "free"
    principal, _ = auth.sign_in(session, email="root@example.com", password=PASSWORD)
    assert principal.is_admin


def test_make_admin_asks_for_the_password_when_not_given(
    session: Session, use_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["short", PASSWORD, PASSWORD])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["make-admin", "asked@example.com"]) == 0
    assert auth.sign_in(session, email="asked@example.com", password=PASSWORD)[0].is_admin


def test_make_admin_promotes_an_existing_user(session: Session, use_engine) -> None:
    user = make_user(session, email="member@example.com")
    session.commit()
    assert cli.main(["make-admin", "MEMBER@example.com"]) == 0
    session.expire_all()
    assert session.get(Profile, user.user_id).role == "admin"


def test_suspend_and_unsuspend_from_the_shell(
    session: Session, use_engine, capsys: pytest.CaptureFixture
) -> None:
    principal, token = auth.sign_up(session, email="s@example.com", password=PASSWORD, name="S")
    session.commit()
    assert cli.main(["suspend", "s@example.com"]) == 0
    assert auth.principal_from_token(session, token) is None
    session.expire_all()
    assert session.get(Profile, principal.user_id).suspended_at is not None
    assert cli.main(["unsuspend", "s@example.com"]) == 0
    session.expire_all()
    assert session.get(Profile, principal.user_id).suspended_at is None


def test_unknown_user_is_a_clear_error(use_engine, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["suspend", "ghost@example.com"]) == 1
    assert "No account with the e-mail address ghost@example.com" in capsys.readouterr().err
