"""Lost writes under concurrent draft saves, the way issue 11 measured them, on both databases.

For each database (a fresh SQLite file; PostgreSQL when TEST_PG_ADMIN_URL's server is up) and
TRIALS rounds, prints:

- same base: THREADS threads save one prompt at once, all from the same revision; how many
  were accepted (exactly 1 may be) and how many got 409 with the current revision;
- appends: APPENDERS threads each append APPENDS lines, read-modify-write with
  `base_revision`, retrying after a 409 as a client would; how many acknowledged lines are
  missing from the final draft (target 0).

    uv run python benchmarks/bench_lost_writes.py     # TRIALS=10 THREADS=20 APPENDERS=12
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from promptrepo.db import build_engine, migrate  # noqa: E402
from promptrepo.models import Prompt  # noqa: E402
from promptrepo.services import access, drafts  # noqa: E402
from tests.factories import make_user  # noqa: E402
from tests.prompt_factories import make_prompt  # noqa: E402

TRIALS = int(os.environ.get("TRIALS", "10"))
THREADS = int(os.environ.get("THREADS", "20"))
APPENDERS = int(os.environ.get("APPENDERS", "12"))
APPENDS = int(os.environ.get("APPENDS", "1"))


def at_once(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def bench_database(label: str, url: str) -> None:
    engine = build_engine(url, pool_size=THREADS + 5)
    accepted = conflicts = others = lost = acknowledged = 0
    started = time.perf_counter()
    for _ in range(TRIALS):
        with Session(engine, expire_on_commit=False) as session:
            owner = make_user(session, plan="pro")
            _, prompt = make_prompt(session, owner, content="start", project_name=uuid.uuid4().hex)

        def save(i: int, owner=owner, prompt=prompt) -> str:
            with Session(engine) as session:
                drafts.save_draft(
                    session, owner, prompt.id, base_revision=prompt.revision, content=f"w{i}"
                )
                session.commit()
            return "ok"

        results = at_once(THREADS, save)
        accepted += results.count("ok")
        conflicts += sum(isinstance(r, drafts.DraftConflict) for r in results)
        others += sum(
            isinstance(r, Exception) and not isinstance(r, drafts.DraftConflict) for r in results
        )

        def append(i: int, owner=owner, prompt=prompt) -> list[str]:
            done = []
            for n in range(APPENDS):
                line = f"line {i}.{n}"
                while True:
                    with Session(engine) as session:
                        current, _ = access.get_prompt(session, owner, prompt.id)
                        try:
                            drafts.save_draft(
                                session,
                                owner,
                                prompt.id,
                                base_revision=current.revision,
                                content=current.content + "\n" + line,
                            )
                            session.commit()
                            done.append(line)
                            break
                        except drafts.DraftConflict:
                            session.rollback()
            return done

        lines = [line for r in at_once(APPENDERS, append) if isinstance(r, list) for line in r]
        with Session(engine) as session:
            final = set(session.get(Prompt, prompt.id).content.split("\n"))
        acknowledged += len(lines)
        lost += sum(line not in final for line in lines)
    elapsed = time.perf_counter() - started
    engine.dispose()
    print(f"\n{label}: {TRIALS} trials, {elapsed:.1f} s")
    print(
        f"  same base, {THREADS} threads: accepted {accepted} of {THREADS * TRIALS} "
        f"(target {TRIALS}), 409 {conflicts}, other errors {others}"
    )
    print(
        f"  appends, {APPENDERS} threads x {APPENDS}: lost {lost} of {acknowledged} "
        "acknowledged (target 0)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        bench_database("SQLite", url)
    pg_admin = os.environ.get(
        "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    try:
        admin = build_engine(pg_admin, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"\n(PostgreSQL skipped: {exc.__class__.__name__})")
        return
    url = pg_admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        bench_database("PostgreSQL", url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
