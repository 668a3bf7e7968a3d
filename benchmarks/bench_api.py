"""Benchmark of the REST API's serving path, as the issue asks for it.

The app runs in production mode (`reflex run --env prod`, like tests/app_server.py) on a fresh
PostgreSQL database with Redis, with GRANIAN_WORKERS workers (default 2). The load comes from
wrk (Debian's package, installed here if missing) on loopback at 32 connections:

1. side by side, in one run: a trivial route returning the same bytes as `resolve` with no
   auth, limit or cache (/api/v1/_bench/static, mounted only because API_BENCH_BODY_FILE is
   set) vs. cached `GET /api/v1/prompts/{id}/resolve` (auth + rate limit + cache entry) vs.
   the Langfuse SDK's cached `get_prompt` request (`GET /api/public/v2/prompts/{name}`, HTTP
   Basic with a project key); each is measured twice, alternating, and the better run kept;
2. uncached `resolve`: the cache is flushed, then every request asks for a different
   published prompt, so each one takes the database path (principals stay cached);
3. a traffic split: cached `resolve` of a prompt whose production label is split v1 90 % /
   v2 10 %, each request with its own `?key=user-N` (1,000 keys), alternating with the plain
   cached `resolve` above; the ratio says what picking a version costs (target: >= 0.90).

SPLIT_ONLY=1 measures only the plain and split resolves (and the trivial route), for a quick
run of the split's cost; BENCH_SERVER=api serves the API alone (see start_api_only).

Callers are 200 users on the enterprise plan (6,000 requests/min each) so the rate limit
never refuses a request, while still being counted on every request.

    uv run python benchmarks/bench_api.py            # DURATION=10 CONNECTIONS=32 WORKERS=2
    KEEP_TMP=1 uv run python benchmarks/bench_api.py # keep the app's copy and server log
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import redis
from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from promptrepo.db import build_engine, migrate  # noqa: E402
from tests.app_server import (  # noqa: E402
    app_env,
    copy_app,
    free_port,
    start_app,
    stop_app,
    wait_until_serving,
)

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
DURATION = int(os.environ.get("DURATION", "10"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
WORKERS = os.environ.get("WORKERS", "2")
CALLERS = 200
LANGFUSE_PATH = "/api/public/v2/prompts/Main%2FGreeting"
UNCACHED_PROMPTS = int(os.environ.get("UNCACHED_PROMPTS", "60000"))
SPLIT_ONLY = os.environ.get("SPLIT_ONLY") == "1"
SPLIT_KEYS = 1000

WRK_LUA = r"""
local tokens, paths = {}, {}
local i, n, tid = 0, 0, 0
local nthreads = 0
setup = function(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  for line in io.lines(args[2]) do paths[#paths + 1] = line end
  local threads = tonumber(args[3])
  -- each thread walks its own slice of the paths (distinct prompts when uncached)
  local share = math.floor(#paths / threads)
  i = tid * share
  n = share
  ti = tid * 7
end
request = function()
  i = i + 1
  ti = ti % #tokens + 1
  local path = paths[(i - 1) % #paths + 1]
  return wrk.format("GET", path, {["Authorization"] = tokens[ti]})
end
done = function(summary, latency, requests)
  io.write(string.format(
    "WRK_JSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"socket_errors\":%d," ..
    "\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing Debian's package", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "/usr/bin/wrk"


def create_database() -> tuple[str, str]:
    name = f"bench_api_{uuid.uuid4().hex[:10]}"
    admin = build_engine(PG_ADMIN_URL, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    admin = build_engine(PG_ADMIN_URL, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(database_url: str) -> tuple[list[str], str, list[str], list[str], str]:
    """200 enterprise users with a read key each; a public project of published prompts, and
    one more whose production is split v1 90 % / v2 10 %; and per user a project of their own
    with the same prompt published (`Main/Greeting`) and a project key for it (the
    Langfuse-compatible route's credentials, as `Basic …`)."""
    from sqlmodel import Session

    from promptrepo.models import (
        PRODUCTION_LABEL,
        Billing,
        LabelSplit,
        Profile,
        Project,
        Prompt,
        Segment,
        Version,
        VersionLabel,
        utcnow,
    )
    from promptrepo.services import api_keys
    from promptrepo.services.principal import Principal

    engine = build_engine(database_url, pool_size=1)
    content = (
        "You are a support assistant for {{ product }}. Answer {{ customer }} politely, "
        "in at most {{ max_words }} words, and never invent facts.\n" * 6
    )
    variables = {
        "product": {"type": "string", "example": "PromptRepo"},
        "customer": {"type": "string", "example": "Ada"},
        "max_words": {"type": "number", "default": 120},
    }
    tokens: list[str] = []
    langfuse_auth: list[str] = []
    with Session(engine) as session:
        owner = Profile(email="owner@bench.local", name="Owner")
        session.add(owner)
        session.flush()
        session.add(Billing(user_id=owner.id, plan="enterprise"))
        for n in range(CALLERS):
            profile = Profile(email=f"caller{n}@bench.local", name=f"Caller {n}")
            session.add(profile)
            session.flush()
            session.add(Billing(user_id=profile.id, plan="enterprise"))
            principal = Principal(profile.id, profile.email, profile.name)
            _, secret = api_keys.create_api_key(session, principal, name="bench", scope="read")
            tokens.append(secret)
            own = Project(user_id=profile.id, name="Own")
            session.add(own)
            session.flush()
            own_segment = Segment(project_id=own.id, name="Main")
            session.add(own_segment)
            session.flush()
            own_prompt = Prompt(segment_id=own_segment.id, name="Greeting", content=content)
            session.add(own_prompt)
            session.flush()
            own_version = Version(
                prompt_id=own_prompt.id,
                version=1,
                content=content,
                variables=variables,
                author_id=profile.id,
                is_published=True,
            )
            session.add(own_version)
            session.flush()
            session.add(
                VersionLabel(
                    prompt_id=own_prompt.id, version_id=own_version.id, name=PRODUCTION_LABEL
                )
            )
            key, project_secret = api_keys.create_api_key(
                session, principal, name="langfuse", scope="read", project_id=own.id
            )
            pair = base64.b64encode(f"{key.public_key}:{project_secret}".encode()).decode()
            langfuse_auth.append(f"Basic {pair}")
        project = Project(user_id=owner.id, name="Bench", is_public=True)
        session.add(project)
        session.flush()
        segment = Segment(project_id=project.id, name="Main")
        session.add(segment)
        session.flush()
        prompt_rows, version_rows, label_rows = [], [], []
        now = utcnow()
        for n in range(UNCACHED_PROMPTS + 1):
            prompt_id, version_id = uuid.uuid4(), uuid.uuid4()
            prompt_rows.append(
                {
                    "id": prompt_id,
                    "segment_id": segment.id,
                    "name": f"Prompt {n}",
                    "content": content,
                    "variables": variables,
                    "order": n,
                    "revision": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            version_rows.append(
                {
                    "id": version_id,
                    "prompt_id": prompt_id,
                    "version": 1,
                    "content": content,
                    "variables": variables,
                    "validators": [],
                    "commit_message": "bench",
                    "author_id": owner.id,
                    "is_published": True,
                    "created_at": now,
                }
            )
            label_rows.append(
                {
                    "id": uuid.uuid4(),
                    "prompt_id": prompt_id,
                    "version_id": version_id,
                    "name": PRODUCTION_LABEL,
                    "updated_by": owner.id,
                    "updated_at": now,
                }
            )
        session.execute(insert(Prompt), prompt_rows)
        session.execute(insert(Version), version_rows)
        session.execute(insert(VersionLabel), label_rows)
        split_prompt = Prompt(segment_id=segment.id, name="Split", content=content, order=-1)
        session.add(split_prompt)
        session.flush()
        arms = []
        for number, weight in ((1, 90), (2, 10)):
            version = Version(
                prompt_id=split_prompt.id,
                version=number,
                content=content + f"(v{number})",
                variables=variables,
                author_id=owner.id,
                is_published=number == 1,
            )
            session.add(version)
            session.flush()
            arms.append((version, weight))
        session.add(
            VersionLabel(prompt_id=split_prompt.id, version_id=arms[0][0].id, name=PRODUCTION_LABEL)
        )
        for version, weight in arms:
            session.add(
                LabelSplit(
                    prompt_id=split_prompt.id,
                    label=PRODUCTION_LABEL,
                    version_id=version.id,
                    weight=weight,
                )
            )
        split_id = str(split_prompt.id)
        session.commit()
    # As a database in service would have: planner statistics, and no autovacuum of the
    # freshly loaded tables starting in the middle of a measurement.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    prompt_ids = [str(row["id"]) for row in prompt_rows]
    return tokens, prompt_ids[0], prompt_ids[1:], langfuse_auth, split_id


def start_api_only(database_url: str, body_file: Path, **extra_env: str):
    """BENCH_SERVER=api: the same ASGI API app the Reflex app mounts (create_api), served by
    granian alone, for when the frontend cannot be built (its prerender times out on a
    saturated machine). The API's code path is the same; Reflex's outer routing is absent."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "API_BENCH_BODY_FILE": str(body_file),
        "PUBLIC_URL": url,
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "granian"),
            "--interface",
            "asgi",
            "--factory",
            "--workers",
            WORKERS,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "promptrepo.api:create_api",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300  # importing the app takes long on a saturated machine
    while True:
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code < 500:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("granian did not start")
        time.sleep(0.3)


def start_server(
    workdir: Path, database_url: str, body_file: Path, **extra_env: str
) -> tuple[subprocess.Popen, str]:
    if os.environ.get("BENCH_SERVER") == "api":
        return start_api_only(database_url, body_file, **extra_env)
    if not workdir.exists():
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
        API_BENCH_BODY_FILE=str(body_file),
        PUBLIC_URL=url,
        LOG_LEVEL="WARNING",
        **extra_env,
    )
    proc = start_app(workdir, env, port, "--loglevel", "warning")
    wait_until_serving(url, proc, workdir / "server.log")
    return proc, url


def run_wrk(
    wrk: str,
    url: str,
    paths: list[str],
    tokens_file: Path,
    tmp: Path,
    *,
    connections: int = CONNECTIONS,
    duration: int = DURATION,
) -> dict:
    threads = 2 if connections >= 2 else 1
    paths_file = tmp / f"paths-{uuid.uuid4().hex[:6]}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    script = tmp / "bench.lua"
    script.write_text(WRK_LUA)
    out = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            url,
            "--",
            str(tokens_file),
            str(paths_file),
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def flush_served_entries(client: redis.Redis) -> int:
    keys = list(client.scan_iter("promptrepo:cache:served:*", count=1000))
    for i in range(0, len(keys), 1000):
        client.delete(*keys[i : i + 1000])
    return len(keys)


def fmt(name: str, r: dict) -> str:
    return (
        f"{name:<34} {r['rps']:>9,.0f} req/s   p50 {r['p50_us'] / 1000:6.2f} ms   "
        f"p99 {r['p99_us'] / 1000:6.2f} ms   max {r['max_us'] / 1000:7.2f} ms   "
        f"requests {r['requests']:>7}   non-2xx {r['non2xx']}   socket errors {r['socket_errors']}"
    )


def main() -> None:
    wrk = ensure_wrk()
    print(f"load average at the start (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} CPUs")
    tmp = Path(tempfile.mkdtemp(prefix="bench_api_"))
    db_name, database_url = create_database()
    proc = None
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    client.flushdb()
    try:
        migrate(database_url)
        t0 = time.perf_counter()
        tokens, hot_prompt, cold_prompts, langfuse_auth, split_prompt = seed(database_url)
        print(
            f"seeded {CALLERS} callers and {len(cold_prompts) + 1} published prompts "
            f"in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        body_file = tmp / "body.json"
        body_file.write_text("{}")
        proc, url = start_server(tmp / "app", database_url, body_file)
        resolve_path = f"/api/v1/prompts/{hot_prompt}/resolve"
        split_path = f"/api/v1/prompts/{split_prompt}/resolve"
        split_paths = [f"{split_path}?key=user-{i}" for i in range(SPLIT_KEYS)]
        # warm up: every caller's principal gets cached, the entry too
        with httpx.Client(base_url=url, timeout=10) as http:
            for token in tokens:
                response = http.get(resolve_path, headers={"Authorization": f"Bearer {token}"})
                response.raise_for_status()
            body = response.content
            body_file.write_bytes(body)
            assert http.get("/api/v1/_bench/static").content == body
            for auth in langfuse_auth:
                response = http.get(LANGFUSE_PATH, headers={"Authorization": auth})
                response.raise_for_status()
            served = set()
            for path in split_paths[:200]:
                response = http.get(path, headers={"Authorization": f"Bearer {tokens[0]}"})
                response.raise_for_status()
                served.add(response.headers["x-prompt-version"])
            assert served == {"1", "2"}, served
        tokens_file = tmp / "tokens.txt"
        tokens_file.write_text("".join(f"Bearer {token}\n" for token in tokens))
        langfuse_file = tmp / "langfuse.txt"
        langfuse_file.write_text("\n".join(langfuse_auth) + "\n")
        print(
            f"server: {url}, {WORKERS} workers, PostgreSQL + Redis; body {len(body)} bytes; "
            f"wrk {CONNECTIONS} connections x {DURATION} s",
            flush=True,
        )

        run_wrk(wrk, url, ["/api/v1/_bench/static"], tokens_file, tmp, duration=3)  # warm-up
        run_wrk(wrk, url, [resolve_path], tokens_file, tmp, duration=3)
        run_wrk(wrk, url, [LANGFUSE_PATH], langfuse_file, tmp, duration=3)
        run_wrk(wrk, url, split_paths, tokens_file, tmp, duration=3)
        bare_runs, cached_runs, langfuse_runs, split_runs = [], [], [], []
        for _ in range(2):
            bare_runs.append(run_wrk(wrk, url, ["/api/v1/_bench/static"], tokens_file, tmp))
            cached_runs.append(run_wrk(wrk, url, [resolve_path], tokens_file, tmp))
            split_runs.append(run_wrk(wrk, url, split_paths, tokens_file, tmp))
            if not SPLIT_ONLY:
                langfuse_runs.append(run_wrk(wrk, url, [LANGFUSE_PATH], langfuse_file, tmp))
        bare = max(bare_runs, key=lambda r: r["rps"])
        cached = max(cached_runs, key=lambda r: r["rps"])
        split = max(split_runs, key=lambda r: r["rps"])
        print()
        print(fmt("trivial route (no auth/limit/cache)", bare))
        print(fmt("resolve, cached", cached))
        print(fmt("resolve, cached, split label (key)", split))
        print(
            f"split/plain resolve (cached) throughput ratio: {split['rps'] / cached['rps']:.2f}  "
            "(target >= 0.90: a split costs at most 10 %)"
        )
        print("split runs:", json.dumps({"plain": cached_runs, "split": split_runs}))
        if SPLIT_ONLY:
            print(f"load average at the end (1/5/15 min): {os.getloadavg()}")
            return
        langfuse_get = max(langfuse_runs, key=lambda r: r["rps"])

        results = {"bare": bare, "cached": cached, "langfuse": langfuse_get}
        # one connection: each request's own latency, without queueing behind 31 others
        results["bare_c1"] = run_wrk(
            wrk, url, ["/api/v1/_bench/static"], tokens_file, tmp, connections=1, duration=5
        )
        results["cached_c1"] = run_wrk(
            wrk, url, [resolve_path], tokens_file, tmp, connections=1, duration=5
        )
        half = len(cold_prompts) // 2
        for label, connections, ids in (
            ("uncached", CONNECTIONS, cold_prompts[:half]),
            ("uncached_c4", 4, cold_prompts[half:]),
        ):
            flushed = flush_served_entries(client)
            paths = [f"/api/v1/prompts/{pid}/resolve" for pid in ids]
            result = run_wrk(
                wrk,
                url,
                paths,
                tokens_file,
                tmp,
                connections=connections,
                duration=min(DURATION, 8),
            )
            result["flushed_entries"] = flushed
            result["repeats"] = max(0, result["requests"] - len(paths))
            results[label] = result

        # The same app with the stock clients: redis-py (hiredis parser) and `limits`' own API
        # instead of the hand-written pipelined client and the Lua copy of the moving window.
        stop_app(proc)
        proc = None
        proc, url = start_server(tmp / "app", database_url, body_file, API_GATE_CLIENT="redis-py")
        with httpx.Client(base_url=url, timeout=10) as http:
            for token in tokens:
                http.get(resolve_path, headers={"Authorization": f"Bearer {token}"})
        run_wrk(wrk, url, [resolve_path], tokens_file, tmp, duration=3)
        stock_runs = [run_wrk(wrk, url, [resolve_path], tokens_file, tmp) for _ in range(2)]
        stock = max(stock_runs, key=lambda r: r["rps"])

        print()
        print(fmt("trivial route (no auth/limit/cache)", bare))
        print(fmt("resolve, cached", cached))
        print(fmt("resolve, cached, split label (key)", split))
        print(fmt("Langfuse get_prompt route, cached", langfuse_get))
        print(fmt("resolve, cached, redis-py+hiredis+limits", stock))
        print(fmt(f"resolve, uncached ({CONNECTIONS} conns)", results["uncached"]))
        print(fmt("resolve, uncached (4 conns)", results["uncached_c4"]))
        print(fmt("trivial route (1 conn)", results["bare_c1"]))
        print(fmt("resolve, cached (1 conn)", results["cached_c1"]))
        ratio = cached["rps"] / bare["rps"]
        print()
        print(f"cached/trivial throughput ratio: {ratio:.2f}  (target >= 0.5)")
        print(
            f"split/plain resolve (cached) throughput ratio: {split['rps'] / cached['rps']:.2f}  "
            "(target >= 0.90)"
        )
        print(
            f"Langfuse route/REST resolve (cached) throughput ratio: "
            f"{langfuse_get['rps'] / cached['rps']:.2f}  (target >= 0.9)"
        )
        print(
            f"hand-written RESP client + Lua window / redis-py+hiredis+limits (cached resolve): "
            f"{cached['rps'] / stock['rps']:.2f}  (keep the hand-written code if >= 1.3)"
        )
        print(f"cached p99: {cached['p99_us'] / 1000:.2f} ms  (target <= 15 ms)")
        print(
            f"uncached p99 at {CONNECTIONS} connections: "
            f"{results['uncached']['p99_us'] / 1000:.2f} ms  (target <= 40 ms)"
        )
        for name in ("uncached", "uncached_c4"):
            if results[name]["repeats"]:
                print(
                    f"note: {name} wrapped around its prompts: "
                    f"{results[name]['repeats']} requests may have been cache hits"
                )
        print(
            f"load average at the end (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} CPUs "
            "(other processes on the machine inflate every p99 above)"
        )
        print(
            "runs:",
            json.dumps(
                {"bare": bare_runs, "cached": cached_runs, "langfuse": langfuse_runs}, indent=None
            ),
        )
    finally:
        if proc is not None:
            stop_app(proc)
        client.flushdb()
        client.close()
        drop_database(db_name)
        if os.environ.get("KEEP_TMP"):
            print(f"kept {tmp} (the app's copy and its server.log)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
