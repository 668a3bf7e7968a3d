"""Dashboard benchmark: one user with 10, 100 and 1,000 projects (10 prompts each).

For each size it measures, on PostgreSQL (and on SQLite), the dashboard's first page:
- the service alone (`projects.list_projects`, first page of 20),
- the Reflex handler (`DashboardState.load`: resolves the session, lists, fills the state),
- SQL queries per page load (a `before_cursor_execute` listener around the handler),
- the size of the state delta the handler produces (what goes to the browser), as JSON.
Targets: ≤ 100 ms server time, a query count that does not grow, < 50 KB of state.

Run: uv run python benchmarks/bench_dashboard.py   (PostgreSQL at TEST_PG_ADMIN_URL if up)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

import promptrepo.db as db  # noqa: E402
from promptrepo.db import build_engine, migrate  # noqa: E402
from promptrepo.models import Billing, Profile, Project, Prompt, Segment, utcnow  # noqa: E402
from promptrepo.services import projects  # noqa: E402
from promptrepo.services.principal import Principal  # noqa: E402
from promptrepo.services.sessions import create_session  # noqa: E402

SIZES = (10, 100, 1000)
PROMPTS_PER_PROJECT = 10
SEGMENTS_PER_PROJECT = 2
RUNS = 30
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def database(kind: str):
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            migrate(url)
            engine = build_engine(url)
            yield engine
            engine.dispose()
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = build_engine(PG_ADMIN_URL, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        engine = build_engine(url, pool_size=2)
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(engine, n_projects: int) -> tuple[Principal, str]:
    """One pro user with `n_projects` projects of 2 segments and 10 prompts (bulk inserts)."""
    user_id = uuid.uuid4()
    now = utcnow()
    project_rows, segment_rows, prompt_rows = [], [], []
    for i in range(n_projects):
        pid = uuid.uuid4()
        project_rows.append(
            {
                "id": pid,
                "user_id": user_id,
                "name": f"Project {i:04d}",
                "description": f"A benchmark project number {i} with a short description.",
                "is_public": i % 3 == 0,
                "fork_count": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        for s in range(SEGMENTS_PER_PROJECT):
            sid = uuid.uuid4()
            segment_rows.append(
                {
                    "id": sid,
                    "project_id": pid,
                    "name": f"S{s}",
                    "order": s,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for p in range(PROMPTS_PER_PROJECT // SEGMENTS_PER_PROJECT):
                prompt_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "segment_id": sid,
                        "name": f"p{p}",
                        "content": "You are a helpful assistant. " * 20,
                        "variables": {},
                        "order": p,
                        "revision": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    with Session(engine) as session:
        session.add(Profile(id=user_id, email=f"bench-{user_id.hex[:8]}@example.com", name="Bench"))
        session.flush()
        session.add(Billing(user_id=user_id, plan="pro"))
        session.flush()
        for table, rows in (
            (Project, project_rows),
            (Segment, segment_rows),
            (Prompt, prompt_rows),
        ):
            for start in range(0, len(rows), 5000):
                session.execute(sa.insert(table), rows[start : start + 5000])
        token = create_session(session, user_id)
        session.commit()
    principal = Principal(user_id=user_id, email="bench@example.com", name="Bench")
    return principal, token


@contextmanager
def counting(engine):
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def dashboard_state(token: str):
    """A fresh state tree for one browser tab, signed in with `token`."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    from promptrepo.state.dashboard import DashboardState

    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({"headers": {"cookie": f"pr_session={token}"}})
    state = root.get_substate(DashboardState.get_full_name().split("."))
    root._clean()
    return root, state


def measure(engine, principal: Principal, token: str) -> dict:
    from reflex.utils import format

    from promptrepo.state.dashboard import DashboardState

    db.get_engine = lambda: engine  # the app's session_scope() uses the benchmark database
    service_ms, handler_ms = [], []
    for _ in range(RUNS):
        with Session(engine) as session:
            t0 = time.perf_counter()
            projects.list_projects(session, principal, page=1, per_page=20)
            service_ms.append((time.perf_counter() - t0) * 1000)
    queries = None
    delta_bytes = None
    for run in range(RUNS):
        root, state = dashboard_state(token)
        with counting(engine) as statements:
            t0 = time.perf_counter()
            DashboardState.load.fn(state)
            delta = root.get_delta()
            payload = format.json_dumps(delta)
            handler_ms.append((time.perf_counter() - t0) * 1000)
        if run == 0:
            queries = len(statements)
            delta_bytes = len(payload.encode())
            assert len(state.rows) == min(20, state.total), "the handler did not load a page"
    return {
        "service_ms": statistics.median(service_ms),
        "service_p95": sorted(service_ms)[int(0.95 * len(service_ms)) - 1],
        "handler_ms": statistics.median(handler_ms),
        "handler_p95": sorted(handler_ms)[int(0.95 * len(handler_ms)) - 1],
        "queries": queries,
        "delta_kb": delta_bytes / 1024,
    }


def main() -> None:
    kinds = ["postgresql", "sqlite"]
    results: dict[str, dict[int, dict]] = {}
    for kind in kinds:
        try:
            for size in SIZES:
                with database(kind) as engine:
                    principal, token = seed(engine, size)
                    results.setdefault(kind, {})[size] = measure(engine, principal, token)
        except sa.exc.OperationalError as exc:
            print(f"{kind}: skipped ({exc.__class__.__name__}: not reachable)")
    for kind, by_size in results.items():
        print(f"\nDashboard first page on {kind} (median of {RUNS}; p95 in brackets)")
        header = f"{'':32}" + "".join(f"{f'{n:,} projects':>22}" for n in by_size)
        print(header)
        print(
            f"{'':32}" + "".join(f"{f'{n * PROMPTS_PER_PROJECT:,} prompts':>22}" for n in by_size)
        )
        rows = [
            (
                "service list_projects (ms)",
                lambda r: f"{r['service_ms']:.2f} [{r['service_p95']:.2f}]",
            ),
            (
                "state handler load (ms)",
                lambda r: f"{r['handler_ms']:.2f} [{r['handler_p95']:.2f}]",
            ),
            ("SQL queries per page load", lambda r: f"{r['queries']}"),
            ("state delta sent (KB)", lambda r: f"{r['delta_kb']:.1f}"),
        ]
        for label, fmt in rows:
            print(f"{label:32}" + "".join(f"{fmt(r):>22}" for r in by_size.values()))
        worst = max(r["handler_ms"] for r in by_size.values())
        counts = {r["queries"] for r in by_size.values()}
        largest = max(r["delta_kb"] for r in by_size.values())
        print(
            f"targets: server time ≤ 100 ms -> {'met' if worst <= 100 else 'MISSED'} "
            f"(worst median {worst:.1f} ms); queries constant -> "
            f"{'met' if len(counts) == 1 else 'MISSED'} ({sorted(counts)}); state < 50 KB -> "
            f"{'met' if largest < 50 else 'MISSED'} ({largest:.1f} KB)"
        )
    _ = json  # (json kept for ad-hoc dumps of `results`)


if __name__ == "__main__":
    main()
