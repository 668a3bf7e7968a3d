"""The real app, built and served in production mode for browser and HTTP tests.

The app's source is copied into a temporary folder and built there, so a test run never
touches the working tree's `.web/` (and two runs never fight over it). The server gets its
own fresh database: a throwaway PostgreSQL database plus Redis when both are reachable (the
production set-up, with two workers), otherwise SQLite and in-process cache and limits.
Set E2E_BACKEND=sqlite to force the embedded set-up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promptrepo.db import build_engine, migrate
from tests.support.stripe_fake import FakeStripe

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from promptrepo.services.principal import Principal

STRIPE_WEBHOOK_SECRET = "whsec_e2e_secret"

ROOT = Path(__file__).resolve().parent.parent
APP_FILES = [
    "promptrepo",
    "admin",
    "assets",
    "alembic",
    "alembic.ini",
    "rxconfig.py",
    "reflex.lock",
    "pyproject.toml",
]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class AppServer:
    url: str
    database_url: str
    redis_url: str | None
    engine: Engine
    log_path: Path
    stripe: FakeStripe

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_app(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".web", "data")
    for name in APP_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)


def wait_until_serving(
    url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 240
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the app exited early:\n{log_path.read_text(errors='replace')[-4000:]}"
            )
        try:
            if (
                httpx.get(f"{url}/ping", timeout=2).status_code == 200
                and httpx.get(url + "/", timeout=5).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"the app did not start in {timeout}s:\n{log_path.read_text(errors='replace')[-4000:]}"
    )


def app_env(workdir: Path, **settings: str) -> dict[str, str]:
    """The environment of an app copied to `workdir` (see copy_app), plus `settings`."""
    return {
        **os.environ,
        "PYTHONPATH": str(workdir),
        "REFLEX_BUN_PATH": str(ROOT / ".tools/node_modules/@oven/bun-linux-x64/bin/bun"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        **settings,
    }


def start_app(
    workdir: Path, env: dict[str, str], port: int, *args: str, log_name: str = "server.log"
) -> subprocess.Popen:
    """Build and serve the copy in `workdir` as `make run` does (`python -m promptrepo.serve`:
    production mode, one port, failed workers respawned), in a process group of its own,
    its output in `workdir/<log_name>`. `args` go to promptrepo.serve (e.g. --workers 2)."""
    with (workdir / log_name).open("wb") as log:
        return subprocess.Popen(
            [
                str(ROOT / ".venv/bin/python"),
                "-m",
                "promptrepo.serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *args,
            ],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_app(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop the served app and everything it started (its process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def app_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[AppServer]:
    workdir = tmp_path_factory.mktemp("app")
    copy_app(workdir)
    env = app_env(
        workdir,
        APP_ENV="test",
        SECRET_KEY="test-secret-key-" + uuid.uuid4().hex,
        LOGIN_RATE_LIMIT=os.environ.get("E2E_LOGIN_RATE_LIMIT", "100/minute"),
        SIGNUP_RATE_LIMIT="1000/hour",
        # every browser test comes from 127.0.0.1: the per-address reset budget is for people
        PASSWORD_RESET_ADDRESS_RATE_LIMIT="1000/hour",
        # webhook receivers in tests listen on loopback
        WEBHOOK_ALLOW_PRIVATE="true",
    )
    # Stripe's hosted API cannot run here: the app talks to a fake at the HTTP boundary.
    stripe_fake = FakeStripe()
    env.update(
        STRIPE_SECRET_KEY="sk_test_e2e",
        STRIPE_API_BASE=stripe_fake.url,
        STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
        STRIPE_PRICE_PRO="price_pro_e2e",
        STRIPE_PRICE_ENTERPRISE="price_enterprise_e2e",
    )
    redis_url: str | None = None
    if os.environ.get("E2E_BACKEND", "postgresql") == "postgresql":
        database_url = request.getfixturevalue("pg_app_database_url")
        redis_url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/14"
        env.update(REDIS_URL=redis_url, GRANIAN_WORKERS="2")
    else:
        database_url = f"sqlite:///{workdir / 'data' / 'app.db'}"
        env.pop("REDIS_URL", None)
    env["DATABASE_URL"] = database_url
    migrate(database_url)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env["PUBLIC_URL"] = url
    log_path = workdir / "server.log"
    proc = start_app(workdir, env, port)
    engine = build_engine(database_url, pool_size=2)
    try:
        wait_until_serving(url, proc, log_path)
        yield AppServer(
            url=url,
            database_url=database_url,
            redis_url=redis_url,
            engine=engine,
            log_path=log_path,
            stripe=stripe_fake,
        )
    finally:
        stop_app(proc)
        engine.dispose()
        stripe_fake.close()


@pytest.fixture(scope="session")
def pg_app_database_url(pg_database_url: str) -> Iterator[str]:
    """A second throwaway PostgreSQL database, for the served app alone."""
    from sqlalchemy import text

    from tests.conftest import PG_ADMIN_URL

    name = f"test_app_{uuid.uuid4().hex[:12]}"
    admin = build_engine(PG_ADMIN_URL, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def sign_in(context, app_server: AppServer, user_id: uuid.UUID) -> None:
    """Sign a browser context in as `user_id` by giving it a fresh session cookie, HttpOnly
    and SameSite=Lax, and the page's signed-in hint, as api/browser_session.py sets them."""
    from promptrepo.services.sessions import SESSION_COOKIE, SIGNED_IN_HINT_COOKIE, create_session

    with app_server.session() as s:
        token = create_session(s, user_id)
        s.commit()
    context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": token,
                "url": app_server.url,
                "httpOnly": True,
                "sameSite": "Lax",
            },
            {"name": SIGNED_IN_HINT_COOKIE, "value": "1", "url": app_server.url, "sameSite": "Lax"},
        ]
    )


def signed_in_page(browser: Browser, app_server: AppServer, user) -> Page:
    """A page in a browser context of its own, signed in as `user` (a Principal): one person
    of a test that has several."""
    context = browser.new_context(base_url=app_server.url)
    sign_in(context, app_server, user.user_id)
    return context.new_page()


def new_user(app_server: AppServer, name: str) -> Principal:
    """A user of the served app's database (committed), named `name`."""
    from tests.factories import make_user

    with app_server.session() as s:
        user = make_user(s, name=name)
        s.commit()
    return user
