"""Serve the app as `make run` does (production mode, SQLite, one port) for scripts and benchmarks.

The source is copied into a temporary folder and built there, so the working tree's `.web/`
and `./data/` are never touched (and a running `make run` is not disturbed). With `seed=True`
the fresh database gets a few public projects, so the landing page's teaser has content.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The app copy, the browser flags and the readiness check are the test harness's own.
from tests.app_server import (  # noqa: E402, F401  (CHROMIUM*: for the scripts using this one)
    CHROMIUM,
    CHROMIUM_ARGS,
    app_env,
    copy_app,
    free_port,
    start_app,
    stop_app,
    wait_until_serving,
)

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


@contextlib.contextmanager
def serve_app(*, seed: bool = True, timeout: float = 300) -> Iterator[str]:
    """Build and serve the app like `make run` on a free port; yields its base URL."""
    from promptrepo.db import migrate

    workdir = Path(tempfile.mkdtemp(prefix="promptrepo-serve-"))
    copy_app(workdir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{workdir / 'data' / 'promptrepo.db'}"
    env = app_env(workdir, DATABASE_URL=database_url, PUBLIC_URL=url)
    env.pop("REDIS_URL", None)
    env.pop("APP_ENV", None)
    (workdir / "data").mkdir()
    migrate(database_url)
    if seed:
        seed_demo_data(database_url)
    log_path = workdir / "server.log"
    proc = start_app(workdir, env, port, "--loglevel", "warning")  # as `make run` does
    try:
        wait_until_serving(url, proc, log_path, timeout)
        yield url
    finally:
        stop_app(proc)
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
