"""The built app survives a killed worker and a Redis outage (issue 11, items 2 and 4).

One copy of the app is built once for this module and served several times on the same port
(`python -m promptrepo.serve`, as `make run` does; from the second start on the build is
reused), each time with the set-up a test needs:

- two workers on PostgreSQL + Redis, under load, one worker killed with SIGKILL:
  at least 99 % of the requests of the next 20 s succeed;
- one worker on SQLite, killed: the app answers again within 5 s;
- two workers on PostgreSQL + a private redis-server (its own port), API traffic while that
  Redis is stopped for a few seconds: no answer is a 500, /api/health says "degraded" (200),
  and after Redis is back health is "ok" and cached answers are served again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from promptrepo.db import build_engine, migrate
from tests.api.conftest import Caller, make_caller
from tests.app_server import (
    app_env,
    copy_app,
    free_port,
    start_app,
    stop_app,
    wait_until_serving,
)

pytestmark = pytest.mark.timeout(900)


@dataclass
class BuiltApp:
    workdir: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> BuiltApp:
    workdir = tmp_path_factory.mktemp("resilient_app")
    copy_app(workdir)
    return BuiltApp(workdir, free_port())


@contextlib.contextmanager
def serving(
    built: BuiltApp, *args: str, migrated: bool = True, **settings: str
) -> Iterator[subprocess.Popen]:
    env = app_env(
        built.workdir,
        APP_ENV="test",
        SECRET_KEY="test-secret-key-" + uuid.uuid4().hex,
        PUBLIC_URL=built.url,  # the same every time: part of what the build depends on
        **settings,
    )
    if "REDIS_URL" not in settings:
        env.pop("REDIS_URL", None)
    if migrated:
        migrate(env["DATABASE_URL"])
    proc = start_app(built.workdir, env, built.port, *args)
    try:
        # The first start builds the frontend (minutes on a busy machine).
        wait_until_serving(built.url, proc, built.workdir / "server.log", timeout=780)
        yield proc
    finally:
        stop_app(proc)


def worker_pids(supervisor: subprocess.Popen) -> list[int]:
    """The granian workers: the serving process's children."""
    path = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children")
    return [int(pid) for pid in path.read_text().split()]


class Load:
    """Client threads sending GET requests in a loop, each on its own keep-alive connection;
    every answer (or transport error) is recorded with its time."""

    def __init__(self, url: str, paths: list[str], headers: dict | None = None, threads=4):
        self.url, self.paths, self.headers = url, paths, headers or {}
        self.results: list[tuple[float, int | str]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, index: int) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=10) as client:
            n = index
            while not self._stop.is_set():
                path = self.paths[n % len(self.paths)]
                n += 1
                try:
                    outcome: int | str = client.get(path).status_code
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                with self._lock:
                    self.results.append((time.monotonic(), outcome))
                time.sleep(0.005)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def between(self, start: float, end: float) -> list[int | str]:
        with self._lock:
            return [outcome for at, outcome in self.results if start <= at < end]


def test_a_killed_worker_is_replaced_without_losing_requests(
    built_app: BuiltApp, pg_app_database_url: str, redis_url: str
) -> None:
    redis_db = redis_url.rsplit("/", 1)[0] + "/13"
    with serving(
        built_app, DATABASE_URL=pg_app_database_url, REDIS_URL=redis_db, GRANIAN_WORKERS="2"
    ) as proc:
        workers = worker_pids(proc)
        assert len(workers) == 2
        with Load(built_app.url, ["/ping", "/api/health"]) as load:
            time.sleep(2)
            killed_at = time.monotonic()
            os.kill(workers[0], signal.SIGKILL)
            time.sleep(20)
        outcomes = load.between(killed_at, killed_at + 20)
        ok = sum(1 for o in outcomes if o == 200)
        print(f"2 workers, one killed: {ok}/{len(outcomes)} OK; {Counter(outcomes)}")
        assert len(outcomes) > 200
        assert ok / len(outcomes) >= 0.99, Counter(outcomes)
        replaced = worker_pids(proc)
        assert len(replaced) == 2 and workers[0] not in replaced
        assert proc.poll() is None


def test_a_single_killed_worker_answers_again_within_5_seconds(built_app: BuiltApp) -> None:
    database = built_app.workdir / "data" / "single.db"
    database.parent.mkdir(exist_ok=True)
    with serving(built_app, DATABASE_URL=f"sqlite:///{database}", GRANIAN_WORKERS="1") as proc:
        (worker,) = worker_pids(proc)
        os.kill(worker, signal.SIGKILL)
        killed_at = time.monotonic()
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(built_app.url + "/ping", timeout=1).status_code == 200:
                    break
            assert time.monotonic() - killed_at < 5, "no answer within 5 s of the kill"
            time.sleep(0.05)
        recovered = time.monotonic() - killed_at
        print(f"1 worker killed: answering again after {recovered:.2f} s")
        assert httpx.get(built_app.url + "/api/health", timeout=5).json()["status"] == "ok"
        assert proc.poll() is None


def test_make_runs_server_migrates_a_new_database_itself(built_app: BuiltApp) -> None:
    """`make run` starts `promptrepo.serve --migrate` on whatever database it is given, with
    no `promptrepo.cli migrate` before it: a new database is migrated, then served."""
    database = built_app.workdir / "data" / "new.db"
    database.parent.mkdir(exist_ok=True)
    database.unlink(missing_ok=True)
    with serving(built_app, "--migrate", migrated=False, DATABASE_URL=f"sqlite:///{database}"):
        ready = httpx.get(built_app.url + "/api/ready", timeout=5)
        assert ready.status_code == 200, ready.text
        assert (
            "the database is at the newest migration"
            in (built_app.workdir / "server.log").read_text()
        )


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class PrivateRedis:
    """A redis-server of this test's own, on a free loopback port, that can be stopped."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                import redis

                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def _published_prompt(url: str, caller: Caller) -> str:
    with httpx.Client(base_url=url + "/api/v1", headers=caller.headers, timeout=30) as http:
        project = http.post("/projects", json={"name": "Outage"}).json()
        segment = http.post(f"/projects/{project['id']}/segments", json={"name": "S"}).json()
        prompt = http.post(
            f"/segments/{segment['id']}/prompts",
            json={"name": "P", "content": "Hi {{ x }}", "variables": {"x": {"example": "a"}}},
        ).json()
        http.post(f"/prompts/{prompt['id']}/versions", json={"commit_message": "1"})
        published = http.put(f"/prompts/{prompt['id']}/labels/production", json={"version": 1})
        assert published.status_code == 200, published.text
        return prompt["id"]


def test_a_redis_outage_degrades_the_api_without_errors(
    built_app: BuiltApp, pg_app_database_url: str, private_redis: PrivateRedis
) -> None:
    with serving(
        built_app,
        DATABASE_URL=pg_app_database_url,
        REDIS_URL=private_redis.url,
        GRANIAN_WORKERS="2",
    ):
        engine = build_engine(pg_app_database_url, pool_size=1)
        with httpx.Client(timeout=30) as probe:
            from sqlmodel import Session

            with Session(engine, expire_on_commit=False) as session:
                caller = make_caller(session, plan="enterprise", name="Outage")
            engine.dispose()
            prompt_id = _published_prompt(built_app.url, caller)
            paths = [
                f"/api/v1/prompts/{prompt_id}/resolve",
                "/api/v1/me",
                f"/api/v1/prompts/{prompt_id}",
            ]
            health = built_app.url + "/api/health"
            assert probe.get(health).json()["status"] == "ok"
            with Load(built_app.url, paths, headers=caller.headers, threads=3) as load:
                time.sleep(3)
                stopped_at = time.monotonic()
                private_redis.stop()
                time.sleep(1)
                during = probe.get(health)
                # A write during the outage (it invalidates cache entries and publishes).
                prompt_url = f"{built_app.url}/api/v1/prompts/{prompt_id}"
                revision = probe.get(prompt_url, headers=caller.headers).json()["revision"]
                renamed = probe.patch(
                    prompt_url,
                    json={"name": "Renamed in the outage", "base_revision": revision},
                    headers=caller.headers,
                )
                time.sleep(5)
                private_redis.start()
                restarted_at = time.monotonic()
                time.sleep(4)
            outage = load.between(stopped_at, restarted_at)
            after = load.between(restarted_at + 2, restarted_at + 4)
            everything = load.between(0, float("inf"))
            print(f"during the outage: {Counter(outage)}; after: {Counter(after)}")
            assert during.status_code == 200 and during.json()["status"] == "degraded"
            assert renamed.status_code != 500, renamed.text
            assert 500 not in [o for o in everything]
            assert all(isinstance(o, int) and o < 500 for o in everything), Counter(everything)
            assert sum(1 for o in outage if o == 200) > 20  # it kept serving from the database
            assert after and all(o == 200 for o in after), Counter(after)
            assert renamed.status_code == 200, renamed.text
            assert probe.get(prompt_url, headers=caller.headers).json()["name"] == (
                "Renamed in the outage"
            )
            assert probe.get(health).json()["status"] == "ok"
            # Caching resumed: the restarted Redis holds the answers served since.
            import redis

            cached = redis.Redis(port=private_redis.port).keys("promptrepo:cache:*")
            assert cached, "nothing was cached after Redis came back"
