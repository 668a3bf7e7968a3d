"""Access rules: owner reads and writes; public is readable by all; private is 'not found'."""

import pytest
from sqlmodel import Session

from promptrepo.models import Project, Prompt, Segment
from promptrepo.services import access
from promptrepo.services.errors import NotAuthenticated, NotFound, PermissionDenied
from promptrepo.services.principal import Principal
from tests.factories import make_user


@pytest.fixture
def world(session: Session):
    owner = make_user(session, name="Owner")
    outsider = make_user(session, name="Outsider")
    project = Project(user_id=owner.user_id, name="Secret")
    session.add(project)
    session.flush()
    segment = Segment(project_id=project.id, name="S")
    session.add(segment)
    session.flush()
    prompt = Prompt(segment_id=segment.id, name="P")
    session.add(prompt)
    session.commit()
    return owner, outsider, project, prompt


def test_owner_can_read_and_write_private_project(session: Session, world) -> None:
    owner, _, project, prompt = world
    assert access.get_project(session, owner, project.id, write=True).id == project.id
    assert access.get_prompt(session, owner, prompt.id, write=True)[0].id == prompt.id


def test_outsider_cannot_read_private_project(session: Session, world) -> None:
    _, outsider, project, prompt = world
    for principal in (outsider, None):
        with pytest.raises(NotFound):
            access.get_project(session, principal, project.id)
        with pytest.raises(NotFound):
            access.get_prompt(session, principal, prompt.id)


def test_public_project_is_readable_but_not_writable_by_others(session: Session, world) -> None:
    _, outsider, project, prompt = world
    project.is_public = True
    session.commit()
    assert access.get_project(session, None, project.id).id == project.id
    assert access.get_prompt(session, outsider, prompt.id)[0].id == prompt.id
    with pytest.raises(PermissionDenied):
        access.get_project(session, outsider, project.id, write=True)
    with pytest.raises(NotAuthenticated):
        access.get_project(session, None, project.id, write=True)


def test_read_only_key_cannot_write(session: Session, world) -> None:
    owner, _, project, _ = world
    read_only = Principal(owner.user_id, owner.email, owner.name, api_key_scope="read")
    assert access.get_project(session, read_only, project.id).id == project.id
    with pytest.raises(PermissionDenied):
        access.get_project(session, read_only, project.id, write=True)


def test_malformed_ids_are_not_found(session: Session, world) -> None:
    owner, *_ = world
    with pytest.raises(NotFound):
        access.get_project(session, owner, "not-a-uuid")
