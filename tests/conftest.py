"""Shared fixtures: databases (SQLite and PostgreSQL), Redis, the built app, and Chromium.

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are the real servers. Without them a
test that needs them is skipped, except when CI=true, where it fails loudly.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import promptrepo.models  # noqa: F401
from promptrepo.db import build_engine, migrate
from promptrepo.settings import APP_ROLE, derived_role_url

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
pytest_plugins = ["tests.app_server"]
IN_CI = os.environ.get("CI", "").lower() == "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------- databases
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (cheaper than migrating again)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this run, migrated to head, dropped at the end."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    try:
        admin = build_engine(PG_ADMIN_URL, pool_size=1).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure
        unavailable("PostgreSQL", exc)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    """The owner's engine (what migrations use): tests seed data through it."""
    engine = build_engine(pg_database_url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_app_engine(pg_database_url: str) -> Iterator[Engine]:
    """The same database as the app logs in to it: the row-level-security role."""
    from promptrepo.settings import settings

    url = derived_role_url(pg_database_url, APP_ROLE, settings.db_app_password)
    engine = build_engine(url, pool_size=5)
    yield engine
    engine.dispose()


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Engine]:
    """An empty, migrated database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        eng = build_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        truncate_all(eng)
        yield eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def use_engine(
    request: pytest.FixtureRequest, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Engine:
    """Make the app's own `get_engine()`/`session_scope()`/`system_scope()` use this test's
    database, logged in as the app logs in (on PostgreSQL: the row-level-security role and
    the system role). Returns the owner's engine, for seeding and checking."""
    import promptrepo.db as db

    app_engine = engine
    if engine.dialect.name == "postgresql":
        app_engine = request.getfixturevalue("pg_app_engine")
    monkeypatch.setattr(db, "get_engine", lambda: app_engine)
    return engine


# --------------------------------------------------------------------------- redis
@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        client = redis.Redis.from_url(TEST_REDIS_URL)
        client.ping()
        client.close()
    except Exception as exc:
        unavailable("Redis", exc)
    return TEST_REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


# --------------------------------------------------------------------------- playwright
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from tests.app_server import CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(app_server) -> str:
    return app_server.url


def _reset_clients() -> None:
    from promptrepo.services import (
        cache,
        rate_limits,
        recent_changes,
        redis_client,
        served_counts,
    )

    for fn in (
        redis_client.get_redis,
        redis_client.get_async_redis,
        rate_limits._limiter,
        rate_limits._async_limiter,
        rate_limits._memory_limiter,
    ):
        fn.cache_clear()
    cache.clear_local()
    recent_changes.clear_local()
    cache.forget_undelivered_invalidations()
    redis_client.reset_state()
    served_counts.reset()


@pytest.fixture(params=["memory", "redis"])
def kv_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with the in-process cache/limits/fan-out and again with a real Redis."""
    from promptrepo.settings import settings

    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        monkeypatch.setattr(settings, "redis_url", url)
    else:
        monkeypatch.setattr(settings, "redis_url", None)
    _reset_clients()
    yield request.param
    _reset_clients()


@pytest.fixture(autouse=True)
def _generous_sign_up_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests sign up many users from one address; the test of the limit lowers it again."""
    from promptrepo.settings import settings

    monkeypatch.setattr(settings, "signup_rate_limit", "100000/hour")
