"""`make backup` and the restore procedure (issue 17, item 5): a backup taken with the CLI is
restored with the CLI into a fresh database, which then serves the published prompt through
the real API (on PostgreSQL with row-level security, so the policies and grants came back)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from promptrepo import db
from promptrepo.db import build_engine, migrate
from promptrepo.settings import settings
from tests.api.conftest import make_caller
from tests.conftest import PG_ADMIN_URL, _reset_clients

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "promptrepo.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    """A factory of empty databases of the test's kind (dropped afterwards)."""
    created: list[str] = []
    admin = None

    def make() -> str:
        nonlocal admin
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        if admin is None:
            request.getfixturevalue("pg_database_url")  # skips when PostgreSQL is absent
            admin = build_engine(PG_ADMIN_URL, pool_size=1).execution_options(
                isolation_level="AUTOCOMMIT"
            )
        name = f"test_backup_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _api_on(url: str, monkeypatch: pytest.MonkeyPatch):
    engine = build_engine(url, pool_size=2)
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    from promptrepo.api import create_api

    return engine, TestClient(create_api(), raise_server_exceptions=False)


def _publish(client: TestClient, headers: dict[str, str]) -> str:
    project = client.post("/api/v1/projects", json={"name": "Kept"}, headers=headers).json()
    segment = client.post(
        f"/api/v1/projects/{project['id']}/segments", json={"name": "S"}, headers=headers
    ).json()
    prompt = client.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={"name": "P", "content": "Hello {{ who }}", "variables": {"who": {"example": "x"}}},
        headers=headers,
    ).json()
    client.post(
        f"/api/v1/prompts/{prompt['id']}/versions", json={"commit_message": "1"}, headers=headers
    )
    published = client.put(
        f"/api/v1/prompts/{prompt['id']}/labels/production", json={"version": 1}, headers=headers
    )
    assert published.status_code == 200, published.text
    return prompt["id"]


@pytest.mark.parametrize("new_database", ["sqlite", "postgresql"], indirect=True)
def test_a_restored_backup_serves_what_was_published(
    new_database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "redis_url", None)
    _reset_clients()
    live_url = new_database()
    migrate(live_url)
    engine, client = _api_on(live_url, monkeypatch)
    with client, Session(engine, expire_on_commit=False) as session:
        caller = make_caller(session, plan="pro", name="Backed up")
        prompt_id = _publish(client, caller.headers)
    engine.dispose()

    made = cli("backup", "--output", str(tmp_path / "backups"), database_url=live_url)
    assert made.returncode == 0, made.stderr
    (dump,) = (tmp_path / "backups").iterdir()
    assert dump.stat().st_size > 0

    fresh_url = new_database()
    restored = cli("restore", str(dump), "--database-url", fresh_url, database_url=fresh_url)
    assert restored.returncode == 0, restored.stderr + restored.stdout

    _reset_clients()
    engine, client = _api_on(fresh_url, monkeypatch)
    with client:
        answer = client.get(f"/api/v1/prompts/{prompt_id}/resolve", headers=caller.read_headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["content"] == "Hello {{ who }}"
        # Writes work too (on PostgreSQL through the restored policies and grants).
        renamed = client.post(
            "/api/v1/projects", json={"name": "After restore"}, headers=caller.headers
        )
        assert renamed.status_code == 201, renamed.text
        assert client.get("/api/ready").json()["ready"] is True
    engine.dispose()


@pytest.mark.parametrize("new_database", ["sqlite", "postgresql"], indirect=True)
def test_restore_refuses_a_database_that_is_not_empty(new_database, tmp_path: Path) -> None:
    live_url = new_database()
    migrate(live_url)
    made = cli("backup", "--output", str(tmp_path), database_url=live_url)
    assert made.returncode == 0, made.stderr
    (dump,) = tmp_path.glob("promptrepo-*")
    refused = cli("restore", str(dump), "--database-url", live_url, database_url=live_url)
    assert refused.returncode == 1
    assert "restore into a new" in refused.stderr
