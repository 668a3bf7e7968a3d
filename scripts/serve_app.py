"""Serve the app as `make run` does (production mode, SQLite, one port) for scripts and benchmarks.

The source is copied into a temporary folder and built there, so the working tree's `.web/`
and `./data/` are never touched (and a running `make run` is not disturbed). With `seed=True`
the fresh database gets a few public projects, so the landing page's teaser has content.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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

DEMO_PROJECTS = [
    # (owner, name, description, forks)
    (
        "Ada Lovelace",
        "Customer support replies",
        "A system persona, safety rules and a reply prompt with tone and length variables.",
        128,
    ),
    (
        "Grace Hopper",
        "SQL from plain English",
        "Turns a question and a schema into one read-only SQL query, validated for SELECT only.",
        87,
    ),
    (
        "Alan Turing",
        "Meeting notes summariser",
        "Summaries, decisions and action items from a transcript, in JSON.",
        54,
    ),
    (
        "Ada Lovelace",
        "Release notes writer",
        "From merged pull requests to friendly release notes in Markdown.",
        31,
    ),
    (
        "Grace Hopper",
        "Code review assistant",
        "Reviews a diff for bugs and style; the regex validator keeps secrets out.",
        19,
    ),
    ("Alan Turing", "Tweet-length explainer", "Explains a concept in under 280 characters.", 7),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_demo_data(database_url: str) -> None:
    """A few owners with public projects (and one private one that must never show)."""
    from sqlmodel import Session

    from promptrepo.db import build_engine
    from promptrepo.models import Billing, Profile, Project

    engine = build_engine(database_url)
    with Session(engine) as session:
        owners: dict[str, Profile] = {}
        for owner_name, name, description, forks in DEMO_PROJECTS:
            if owner_name not in owners:
                slug = owner_name.split()[0].lower()
                owners[owner_name] = Profile(email=f"{slug}@example.com", name=owner_name)
                session.add(owners[owner_name])
                session.flush()
                session.add(Billing(user_id=owners[owner_name].id, plan="free"))
            session.add(
                Project(
                    user_id=owners[owner_name].id,
                    name=name,
                    description=description,
                    is_public=True,
                    fork_count=forks,
                )
            )
        first = next(iter(owners.values()))
        session.add(Project(user_id=first.id, name="Private drafts", fork_count=999))
        session.commit()
    engine.dispose()


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{log.read_text(errors='replace')[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if (
                httpx.get(f"{url}/ping", timeout=2).status_code == 200
                and httpx.get(url + "/", timeout=5).status_code == 200
            ):
                return
        time.sleep(0.5)
    raise RuntimeError(f"the app did not start in {timeout}s:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def serve_app(*, seed: bool = True, timeout: float = 300) -> Iterator[str]:
    """Build and serve the app like `make run` on a free port; yields its base URL."""
    from promptrepo.db import migrate

    workdir = Path(tempfile.mkdtemp(prefix="promptrepo-serve-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".web", "data")
    for name in APP_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, workdir / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, workdir / name)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{workdir / 'data' / 'promptrepo.db'}"
    env = {
        **os.environ,
        "PYTHONPATH": str(workdir),
        "DATABASE_URL": database_url,
        "PUBLIC_URL": url,
        "REFLEX_BUN_PATH": str(ROOT / ".tools/node_modules/@oven/bun-linux-x64/bin/bun"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
    }
    env.pop("REDIS_URL", None)
    env.pop("APP_ENV", None)
    (workdir / "data").mkdir()
    migrate(database_url)
    if seed:
        seed_demo_data(database_url)
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        # The same command line as `make run`.
        proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/reflex"),
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
                "--backend-host",
                "127.0.0.1",
                "--loglevel",
                "warning",
            ],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_serving(url, proc, log_path, timeout)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    # Stop cleanly (the server's process group and the temporary folder go too) on Ctrl-C and
    # on SIGTERM, also when started in the background, where SIGINT is ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with serve_app() as base_url:
        print(f"serving {base_url} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
