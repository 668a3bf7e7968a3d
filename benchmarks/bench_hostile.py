"""Benchmark of hostile templates against the served app (issue 11, "Done when").

The app runs as `make run` serves it (production mode, tests/app_server.start_app) on a fresh
PostgreSQL database with Redis and GRANIAN_WORKERS workers (default 2). Two free accounts own
one prompt per hostile template of the issue, each version labelled `staging` (publishing
would refuse them); an enterprise account owns a published prompt.

1. Time to refusal: each hostile template rendered once (`POST …/render`, label staging) by
   the first free account; the answer (422 naming the limit) and its wall time.
2. Availability under attack, in one run: the p99 of `GET /api/health` and of a cached
   `GET …/resolve` by the enterprise account, probed back to back from two loops for
   PHASE seconds with no hostile load ("quiet"), then while the second free account keeps
   5 hostile renders running at once ("attack": the template that burns its whole time
   budget), alternating quiet/attack ROUNDS times.

Targets: refusal ≤ 1.5 s; p99 under attack ≤ 2× the quiet p99.

    uv run python benchmarks/bench_hostile.py        # PHASE=10 ROUNDS=2 WORKERS=2
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_api import create_database, drop_database  # noqa: E402
from promptrepo.db import build_engine, migrate  # noqa: E402
from tests.app_server import (  # noqa: E402
    app_env,
    copy_app,
    free_port,
    start_app,
    stop_app,
    wait_until_serving,  # noqa: E402
)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
WORKERS = os.environ.get("WORKERS", "2")
PHASE = float(os.environ.get("PHASE", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "2"))
ATTACKERS = 5
RETRY_AT_ONCE = os.environ.get("RETRY_AT_ONCE") == "1"

SLOW_LOOP = "{% for i in range(99000) %}{% if (7**3000)|string %}{% endif %}{% endfor %}"
CATASTROPHIC = {"type": "regex", "config": {"pattern": "(a|a)+$"}, "order": 0}
# (label, content, validators) — the templates, plus one that only time can stop.
HOSTILE = [
    ("(((9**999)**999)**20) > 1", "{{ (((9**999)**999)**20) > 1 }}", []),
    ("'x'.ljust(1000000000)|length", "{{ 'x'.ljust(1000000000)|length }}", []),
    ("'%1000000000s' % 'x'", "{{ '%1000000000s' % 'x' }}", []),
    (
        "string iteration, nested",
        "{% for c in 'x' * 1000000 %}{% for d in 'x' * 1000000 %}{% endfor %}{% endfor %}",
        [],
    ),
    ("50 regex validators of 0.1 s", "{{ 'a' * 28 }}b", [CATASTROPHIC] * 50),
    ("recursive macro", "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", []),
    ("legal steps for a minute", SLOW_LOOP, []),
]


def seed(database_url: str) -> dict:
    """Two free accounts with the hostile prompts (staged); an enterprise reader."""
    from sqlmodel import Session

    from promptrepo.models import (
        PRODUCTION_LABEL,
        Billing,
        Profile,
        Project,
        Prompt,
        Segment,
        Version,
        VersionLabel,
    )
    from promptrepo.services import api_keys
    from promptrepo.services.principal import Principal

    engine = build_engine(database_url, pool_size=1)
    out: dict = {"free": []}
    with Session(engine) as session:

        def account(email: str, plan: str) -> tuple[Profile, str]:
            profile = Profile(email=email, name=email.split("@")[0])
            session.add(profile)
            session.flush()
            session.add(Billing(user_id=profile.id, plan=plan))
            principal = Principal(profile.id, profile.email, profile.name)
            _, key = api_keys.create_api_key(session, principal, name="bench", scope="read")
            return profile, key

        def segment_of(owner: Profile, project_name: str) -> Segment:
            project = Project(user_id=owner.id, name=project_name)
            session.add(project)
            session.flush()
            segment = Segment(project_id=project.id, name="Main")
            session.add(segment)
            session.flush()
            return segment

        def prompt(
            owner: Profile,
            segment: Segment,
            order: int,
            name: str,
            content: str,
            validators: list,
            label: str,
        ) -> str:
            row = Prompt(segment_id=segment.id, name=name, content=content, order=order)
            session.add(row)
            session.flush()
            version = Version(
                prompt_id=row.id,
                version=1,
                content=content,
                validators=validators,
                commit_message="bench",
                author_id=owner.id,
                is_published=label == PRODUCTION_LABEL,
            )
            session.add(version)
            session.flush()
            session.add(
                VersionLabel(
                    prompt_id=row.id, version_id=version.id, name=label, updated_by=owner.id
                )
            )
            return str(row.id)

        for n in range(2):
            owner, key = account(f"free{n}@bench.local", "free")
            segment = segment_of(owner, "Hostile")  # one project of 7 prompts: within the plan
            ids = [
                prompt(owner, segment, i, label, content, validators, "staging")
                for i, (label, content, validators) in enumerate(HOSTILE)
            ]
            out["free"].append({"key": key, "prompts": ids})
        reader, key = account("reader@bench.local", "enterprise")
        out["reader"] = {
            "key": key,
            "prompt": prompt(
                reader,
                segment_of(reader, "Served"),
                0,
                "Greeting",
                "Hello {{ who }}",
                [],
                PRODUCTION_LABEL,
            ),
        }
        session.commit()
    engine.dispose()
    return out


def start_server(workdir: Path, database_url: str) -> tuple:
    copy_app(workdir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = app_env(
        workdir,
        APP_ENV="production",
        SECRET_KEY=uuid.uuid4().hex + uuid.uuid4().hex,
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        GRANIAN_WORKERS=WORKERS,
        PUBLIC_URL=url,
        LOG_LEVEL="WARNING",
    )
    proc = start_app(workdir, env, port, "--loglevel", "warning")
    wait_until_serving(url, proc, workdir / "server.log")
    return proc, url


def render(http: httpx.Client, key: str, prompt_id: str) -> httpx.Response:
    return http.post(
        f"/api/v1/prompts/{prompt_id}/render",
        json={"variables": {}, "label": "staging"},
        headers={"Authorization": f"Bearer {key}"},
    )


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else float("nan")


async def probe(url: str, path: str, headers: dict, seconds: float) -> tuple[list[float], int]:
    """Back-to-back GETs for `seconds`: latencies in ms, and how many were not 200."""
    latencies, failures = [], 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            start = time.perf_counter()
            response = await client.get(path, headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            failures += response.status_code != 200
    return latencies, failures


def measure(url: str, reader: dict, seconds: float) -> dict:
    async def both():
        resolve = f"/api/v1/prompts/{reader['prompt']}/resolve"
        auth = {"Authorization": f"Bearer {reader['key']}"}
        return await asyncio.gather(
            probe(url, "/api/health", {}, seconds), probe(url, resolve, auth, seconds)
        )

    (health, health_fail), (resolve, resolve_fail) = asyncio.run(both())
    return {"health": health, "resolve": resolve, "failures": health_fail + resolve_fail}


class Attack:
    """ATTACKERS threads, each rendering the hostile prompt again as soon as it answers."""

    def __init__(self, url: str, key: str, prompt_id: str) -> None:
        self.url, self.key, self.prompt_id = url, key, prompt_id
        self.stop = threading.Event()
        self.answers: dict[int, int] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run) for _ in range(ATTACKERS)]

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as http:
            while not self.stop.is_set():
                status = render(http, self.key, self.prompt_id).status_code
                with self.lock:
                    self.answers[status] = self.answers.get(status, 0) + 1
                if status == 429 and not RETRY_AT_ONCE:
                    # Rate-limited: no render runs. Wait as a client honouring Retry-After
                    # would, so the phase measures renders, not a flood of refusals
                    # (RETRY_AT_ONCE=1 measures the flood).
                    self.stop.wait(1.0)

    def __enter__(self) -> Attack:
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)  # all five renders under way before measuring
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def main() -> None:
    print(f"load average at the start (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} CPUs")
    tmp = Path(tempfile.mkdtemp(prefix="bench_hostile_"))
    db_name, database_url = create_database()
    redis.Redis.from_url(REDIS_URL).flushdb()
    proc = None
    try:
        migrate(database_url)
        accounts = seed(database_url)
        proc, url = start_server(tmp / "app", database_url)
        print(f"server: {url}, {WORKERS} workers, PostgreSQL + Redis", flush=True)
        reader = accounts["reader"]
        with httpx.Client(base_url=url, timeout=60) as http:
            # Warm up: every serving worker starts its render workers; the resolve is cached.
            auth = {"Authorization": f"Bearer {reader['key']}"}
            for _ in range(12):
                http.post(
                    f"/api/v1/prompts/{reader['prompt']}/render",
                    json={"variables": {"who": "Ada"}},
                    headers=auth,
                ).raise_for_status()
                http.get(f"/api/v1/prompts/{reader['prompt']}/resolve", headers=auth)

            print("\n1. time to refusal (first free account; target ≤ 1.5 s)")
            first = accounts["free"][0]
            worst = 0.0
            for (label, _, _), prompt_id in zip(HOSTILE, first["prompts"], strict=True):
                start = time.perf_counter()
                response = render(http, first["key"], prompt_id)
                elapsed = time.perf_counter() - start
                worst = max(worst, elapsed)
                detail = response.json().get("detail", "")
                print(f"  {label:<32} {elapsed:6.3f} s  {response.status_code}  {detail[:110]}")
                time.sleep(0.3)  # a killed worker's replacement is started meanwhile
            print(f"  worst: {worst:.3f} s  ({'meets' if worst <= 1.5 else 'MISSES'} ≤ 1.5 s)")

        second = accounts["free"][1]
        hostile_id = second["prompts"][-1]  # the one that burns its whole time budget
        print(
            f"\n2. p99 of /api/health and of a cached resolve (another user), {PHASE:g} s "
            f"phases, quiet vs. {ATTACKERS} hostile renders at once from one free account"
        )
        pooled: dict[str, dict[str, list[float]]] = {
            "quiet": {"health": [], "resolve": []},
            "attack": {"health": [], "resolve": []},
        }
        for round_ in range(1, ROUNDS + 1):
            for phase in ("quiet", "attack"):
                if phase == "quiet":
                    result, answers = measure(url, reader, PHASE), None
                else:
                    with Attack(url, second["key"], hostile_id) as attack:
                        result = measure(url, reader, PHASE)
                    answers = dict(attack.answers)
                for name in ("health", "resolve"):
                    pooled[phase][name] += result[name]
                print(
                    f"  round {round_} {phase:<6}  health p50 "
                    f"{statistics.median(result['health']):6.2f} ms  p99 "
                    f"{p99(result['health']):7.2f} ms (n={len(result['health'])})   "
                    f"resolve p50 {statistics.median(result['resolve']):6.2f} ms  p99 "
                    f"{p99(result['resolve']):7.2f} ms (n={len(result['resolve'])})   "
                    f"non-200 {result['failures']}"
                    + (f"   hostile answers {answers}" if answers else "")
                )
        print("  all rounds pooled (target: attack p99 ≤ 2× quiet p99)")
        for name in ("health", "resolve"):
            quiet, attack = p99(pooled["quiet"][name]), p99(pooled["attack"][name])
            ratio = attack / quiet
            print(
                f"  {name:<8} quiet p99 {quiet:7.2f} ms   under attack p99 {attack:7.2f} ms   "
                f"ratio {ratio:4.2f}×  ({'meets' if ratio <= 2 else 'MISSES'} ≤ 2×)"
            )
        print(f"load average at the end (1/5/15 min): {os.getloadavg()}")
    finally:
        if proc is not None:
            stop_app(proc)
        drop_database(db_name)
        if not os.environ.get("KEEP_TMP"):
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
