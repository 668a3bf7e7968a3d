"""Fixtures for API tests through FastAPI's TestClient on `create_api()`.

`api` runs the real app object against the test database (SQLite and PostgreSQL, via
`use_engine`) and the in-process or Redis cache/limits (via `kv_backend`), so each test runs
four times. Tests through the fully served app (`app_server`) live beside these.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from promptrepo.services import api_keys, sessions
from promptrepo.services.principal import Principal
from tests.factories import make_user


@pytest.fixture
def api(use_engine, kv_backend) -> Iterator[TestClient]:
    from promptrepo.api import create_api

    with TestClient(create_api(), raise_server_exceptions=False) as client:
        yield client


@dataclass
class Caller:
    """A user of the API with a session token and read/write API keys."""

    principal: Principal
    token: str
    read_key: str
    write_key: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    @property
    def read_headers(self) -> dict[str, str]:
        return bearer(self.read_key)

    @property
    def write_headers(self) -> dict[str, str]:
        return bearer(self.write_key)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_caller(session: Session, *, plan: str = "free", name: str = "Caller") -> Caller:
    principal = make_user(session, plan=plan, name=name)
    token = sessions.create_session(session, principal.user_id)
    _, read_key = api_keys.create_api_key(session, principal, name="read", scope="read")
    _, write_key = api_keys.create_api_key(session, principal, name="write", scope="write")
    session.commit()
    return Caller(principal, token, read_key, write_key)


@pytest.fixture
def owner(session: Session) -> Caller:
    return make_caller(session, name="Owner")


@pytest.fixture
def outsider(session: Session) -> Caller:
    return make_caller(session, name="Outsider")
