"""The database itself refuses bad rows (CHECK, UNIQUE, FK), on SQLite and PostgreSQL."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from promptrepo.models import Billing, Profile, Project, Prompt, Segment, Validator, Version
from tests.factories import make_user


@pytest.mark.parametrize(
    ("field", "value"), [("role", "superuser"), ("theme_preference", "purple")]
)
def test_profile_enumerations_are_checked(session: Session, field: str, value: str) -> None:
    session.add(Profile(email="a@example.com", name="A", **{field: value}))
    with pytest.raises(IntegrityError):
        session.flush()


def test_billing_plan_is_checked(session: Session) -> None:
    user = make_user(session)
    billing = session.exec(select(Billing).where(Billing.user_id == user.user_id)).one()
    billing.plan = "platinum"
    with pytest.raises(IntegrityError):
        session.flush()


def test_validator_type_is_checked(session: Session) -> None:
    prompt = _prompt(session)
    session.add(Validator(prompt_id=prompt.id, type="telepathy"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_version_numbers_are_unique_per_prompt(session: Session) -> None:
    prompt = _prompt(session)
    session.add(Version(prompt_id=prompt.id, version=1, content="a"))
    session.flush()
    session.add(Version(prompt_id=prompt.id, version=1, content="b"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_emails_are_unique(session: Session) -> None:
    make_user(session, email="same@example.com")
    with pytest.raises(IntegrityError):
        make_user(session, email="same@example.com")


def test_deleting_a_project_deletes_its_children(session: Session) -> None:
    prompt = _prompt(session)
    session.add(Version(prompt_id=prompt.id, version=1, content="x"))
    session.commit()
    project = session.exec(select(Project)).one()
    session.delete(project)
    session.commit()
    assert session.exec(select(Segment)).all() == []
    assert session.exec(select(Prompt)).all() == []
    assert session.exec(select(Version)).all() == []


def _prompt(session: Session) -> Prompt:
    user = make_user(session)
    project = Project(user_id=user.user_id, name="P")
    session.add(project)
    session.flush()
    segment = Segment(project_id=project.id, name="S")
    session.add(segment)
    session.flush()
    prompt = Prompt(segment_id=segment.id, name="p", content="hi")
    session.add(prompt)
    session.flush()
    return prompt
