"""Capacity: how many editing sessions one server holds, and two behind nginx (issue 17, item 4).

    uv run python benchmarks/bench_fleet.py [--sessions 300] [--duration 30]
        [--keystroke-interval 1.0] [--burst 5] [--key-gap 0.18] [--api-rps 1000] [--workers 3]

Set-up: a throwaway PostgreSQL database, a private redis-server (its own port, so its
operation count is ours alone), one built copy of the app (`python -m promptrepo.serve`).

Browsers are simulated the way they talk to the app: Chromium opens the editor once and the
websocket frames it sends are recorded (the socket.io connect with its boot event, the page's
events, the event that gives the editor state the text, and the live preview channel's
context frame). Each simulated session then opens its own two websockets (Reflex's, with its
own client token, and the live preview channel's), replays the page-load frames for a prompt
of its own, and types like a person: bursts of `--burst` keys `--key-gap` apart, with pauses
that make one key every `--keystroke-interval` seconds on average (jittered). Each keystroke
goes to the live channel (one render in flight, the newest text waiting, as the page does);
the editor state gets the text as components/code_editor.jsx sends it (settled — which saves
the draft — 400 ms after the last key, and every 2 s while typing goes on without a pause).
The round trip of a keystroke is the time until the live preview of its text (or of a newer
one) arrives.
At the same time wrk sends `GET /api/v1/prompts/{id}/resolve` (cached) at a constant offered
rate of `--api-rps` (open loop: a slow answer does not lower the rate asked for).

Runs twice: against one server (`--workers` workers) and against two servers behind nginx
(deploy/render_nginx.py) with `--fleet-workers` each: by default half as many, rounded down
(at least 1), since on one machine the two servers share its cores (3 workers each, 6 on 2
cores, measured the oversubscription: p99 590 ms where 2 x 2 gave 260 ms and 2 x 1 210 ms, on
2026-12-02; on 2026-12-03, 2 x 2 gave 170-245 ms and 2 x 1 115-165 ms).
Prints for each: sessions held (connected and answering to the end), keystroke round trip
p50/p99, API p99 and rate, errors, server memory per session (PSS growth / sessions), Redis
operations per second, the servers' and the driver's CPU, how busy all cores were (over the
run, and while the API load ran), and how fast the machine was just before (10 million Python
additions: the speed of these machines varies between runs).
Targets on the 2-core machine: 300 sessions, keystroke p99 <= 150 ms, 0 errors, API 1,000/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from promptrepo.db import build_engine, migrate  # noqa: E402
from tests.app_server import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    app_env,
    copy_app,
    free_port,
    start_app,
    stop_app,
    wait_until_serving,
)

DEBUG = bool(os.environ.get("BENCH_FLEET_DEBUG"))
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SEED_TEXT = "Hello"
API_ACCOUNTS = 15
WRK_LUA = r"""
-- A constant offered rate (open loop, like wrk2): request n of the thread is due at
-- start + n / rate; a connection that finishes early waits for its slot, and one that
-- finishes late sends at once. Enough connections are open that a slow answer delays only
-- its own connection, not the rate.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } pr_timespec;
int clock_gettime(int clk_id, pr_timespec *tp);
]]
local ts = ffi.new("pr_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local path, interval, slot = nil, 1, nil
local tokens, turn = {}, 0
init = function(args)
  path = args[1]; interval = 1000 / tonumber(args[2])
  for i = 3, #args do tokens[#tokens + 1] = args[i] end
end
request = function()
  turn = turn % #tokens + 1
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. tokens[turn]})
end
delay = function()
  local now = now_ms()
  slot = math.max((slot or now) + interval, now - 50 * interval)
  return math.max(0, slot - now)
end
done = function(summary, latency, requests)
  io.write(string.format(
    "WRK_JSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"socket_errors\":%d," ..
    "\"p50_us\":%d,\"p99_us\":%d}\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


# ---------------------------------------------------------------------------- set-up
class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port)]
            + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(workdir), "--notify-keyspace-events", "Kx"],
            stdout=subprocess.DEVNULL,
        )
        self.client = redis.Redis(port=self.port)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if self.client.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def commands(self) -> int:
        return int(self.client.info("stats")["total_commands_processed"])

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@dataclass
class Seeded:
    session_tokens: list[str]  # one person per simulated session (and one for the API)
    api_key: str  # the owner's, for publishing
    # Programs of API_ACCOUNTS accounts resolve the spare prompt (public), so that wrk's rate
    # is not the one account's plan limit (Enterprise: 6,000 a minute).
    reader_keys: list[str]
    prompts: list[tuple[str, str]]  # (project id, prompt id), one per simulated session
    resolve_path: str = ""


def seed(database_url: str, sessions: int) -> Seeded:
    """One person per session, each with a prompt of their own, as a team's editors are."""
    from promptrepo.services import api_keys
    from promptrepo.services.sessions import create_session
    from tests.factories import make_user
    from tests.prompt_factories import make_prompt

    engine = build_engine(database_url, pool_size=1)
    with Session(engine, expire_on_commit=False) as s:
        prompts, tokens = [], []
        for i in range(sessions + 1):
            person = make_user(
                s, email=f"fleet{i}@example.com", name=f"Fleet {i}", plan="enterprise"
            )
            project, prompt = make_prompt(
                s,
                person,
                content=SEED_TEXT,
                name=f"P{i}",
                project_name=f"Fleet {i}",
                is_public=i == sessions,  # the spare one, which the API traffic resolves
            )
            prompts.append((str(project.id), str(prompt.id)))
            tokens.append(create_session(s, person.user_id))
        _, key = api_keys.create_api_key(s, person, name="bench", scope="write")
        readers = []
        for i in range(API_ACCOUNTS):
            program = make_user(s, email=f"program{i}@example.com", plan="enterprise")
            readers.append(api_keys.create_api_key(s, program, name="bench", scope="read")[1])
        s.commit()
    engine.dispose()
    return Seeded(tokens, key, readers, prompts)


def publish(url: str, seeded: Seeded) -> None:
    """Publish the spare prompt through the API: that is what wrk resolves."""
    project_id, prompt_id = seeded.prompts[-1]
    headers = {"Authorization": f"Bearer {seeded.api_key}"}
    with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=30) as http:
        http.post(f"/prompts/{prompt_id}/versions", json={"commit_message": "1"})
        answer = http.put(f"/prompts/{prompt_id}/labels/production", json={"version": 1})
        answer.raise_for_status()
    seeded.resolve_path = f"/api/v1/prompts/{prompt_id}/resolve"


# ---------------------------------------------------------------------------- capture
@dataclass
class Script:
    """What one browser tab sends: the connect frame, the page-load frames, a keystroke."""

    browser_token: str
    connect: str
    page_load: list[str]
    keystroke: str  # the event giving the editor state the text
    live_context: str  # the live preview channel's context frame
    project_id: str
    prompt_id: str

    def for_session(self, frame: str, token: str, project_id: str, prompt_id: str) -> str:
        return (
            frame.replace(self.browser_token, token)
            .replace(self.project_id, project_id)
            .replace(self.prompt_id, prompt_id)
        )


def capture(url: str, seeded: Seeded) -> Script:
    from playwright.sync_api import sync_playwright

    from promptrepo.state.base import SESSION_COOKIE

    project_id, prompt_id = seeded.prompts[0]
    sent: list[str] = []
    urls: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies(
            [{"name": SESSION_COOKIE, "value": seeded.session_tokens[0], "url": url}]
        )
        page = context.new_page()

        def on_websocket(ws) -> None:
            if "/_event" in ws.url:
                urls.append(ws.url)
            ws.on("framesent", lambda frame: sent.append(frame))

        page.on("websocket", on_websocket)
        page.goto(f"{url}/projects/{project_id}/prompts/{prompt_id}")
        editor = page.locator("#prompt-content")
        editor.wait_for(timeout=120_000)
        page.locator("#save-status[data-state='saved']").wait_for(timeout=60_000)
        loaded = len(sent)
        editor.click()
        page.keyboard.press("End")
        page.keyboard.type("X")
        page.locator("html:not([data-unsent-edits]) #save-status[data-state='saved']").wait_for(
            timeout=60_000
        )
        time.sleep(1)
        browser.close()
    token = re.search(r"token=([0-9a-f-]+)", urls[-1]).group(1)
    events = [f for f in sent if isinstance(f, str) and f.startswith("4")]
    connect = next(f for f in events if f.startswith("40"))
    page_load = [f for f in events[: loaded + 1] if f.startswith("42")]
    typed = [
        f
        for f in sent[loaded:]
        if isinstance(f, str) and f.startswith("42") and "edit_content" in f
    ]
    contexts = [f for f in sent if isinstance(f, str) and f.startswith('{"type":"context"')]
    if not typed or not contexts or '"settled":' not in typed[0] or '"base":' not in typed[0]:
        raise RuntimeError(f"no keystroke frames captured; sent after load: {sent[loaded:]}")
    # The text sync as a template: not settled (run_session settles it at a pause), and with
    # no base revision (each session's prompt has its own; the check costs the same).
    keystroke = re.sub(r'"settled":(true|false)', '"settled":false', typed[0])
    keystroke = re.sub(r'"base":\d+', '"base":null', keystroke)
    script = Script(token, connect, page_load, keystroke, contexts[-1], project_id, prompt_id)
    if DEBUG:
        print("captured", json.dumps(script.__dict__, indent=1)[:6000], flush=True)
    return script


# ---------------------------------------------------------------------------- load
# The page's policy for giving the editor state the text (components/code_editor.jsx).
SYNC_PAUSE_S = 0.4
SYNC_MAX_WAIT_S = 2.0


@dataclass
class Results:
    connected: int = 0
    held: int = 0
    sent: int = 0
    syncs: int = 0  # events that gave the editor state the text
    errors: list[str] = field(default_factory=list)
    round_trips: list[float] = field(default_factory=list)


def key_gaps(interval: float, burst: int, key_gap: float):
    """Seconds before each key: bursts of `burst` keys `key_gap` apart, then a pause, so
    that a key comes every `interval` seconds on average; all jittered by ±50%."""
    pause = max(key_gap, burst * interval - (burst - 1) * key_gap)
    while True:
        yield pause * random.uniform(0.5, 1.5)
        for _ in range(burst - 1):
            yield key_gap * random.uniform(0.5, 1.5)


async def run_session(
    index: int,
    url: str,
    ws_url: str,
    script: Script,
    seeded: Seeded,
    results: Results,
    start_typing_at: float,
    stop_at: float,
    args,
) -> None:
    import websockets

    from promptrepo.state.base import SESSION_COOKIE

    token = str(uuid.uuid4())
    project_id, prompt_id = seeded.prompts[index]
    frames = [script.for_session(f, token, project_id, prompt_id) for f in script.page_load]
    cookie = {"Cookie": f"{SESSION_COOKIE}={seeded.session_tokens[index]}"}
    pending: list[tuple[float, int]] = []  # (typed at, edit number)
    waiting: list[str] = []  # the newest render not yet sent (one in flight at a time)
    in_flight = False
    try:
        async with (
            websockets.connect(
                f"{ws_url}/_event/?EIO=4&transport=websocket&token={token}",
                additional_headers=cookie,
                max_size=None,
                open_timeout=60,
                ping_interval=None,
            ) as ws,
            websockets.connect(
                f"{ws_url}/api/editor/live",
                # The page's origin is PUBLIC_URL's, whichever server or proxy it goes through.
                additional_headers={**cookie, "Origin": args.public_url},
                max_size=None,
                open_timeout=60,
                ping_interval=None,
            ) as live,
        ):
            await ws.recv()  # engine.io open
            await ws.send(script.for_session(script.connect, token, project_id, prompt_id))
            results.connected += 1

            async def read_state() -> None:
                async for message in ws:
                    if message == "2":
                        await ws.send("3")

            async def read_live() -> None:
                nonlocal in_flight
                async for message in live:
                    answer = json.loads(message)
                    if "error" in answer:
                        raise RuntimeError(f"live channel: {answer['error']}")
                    # The preview of the newest text answers every keystroke up to it.
                    while pending and pending[0][1] <= answer["seq"]:
                        results.round_trips.append(time.monotonic() - pending.pop(0)[0])
                    in_flight = False
                    if waiting:
                        in_flight = True
                        await live.send(waiting.pop())

            readers = [asyncio.create_task(read_state()), asyncio.create_task(read_live())]
            for frame in frames:
                await ws.send(frame)
            await live.send(script.live_context)
            text, seq = SEED_TEXT, 0
            unsent_since, trailing = None, None  # the first key the state has not had

            async def sync(text: str, delay: float = 0.0) -> None:
                """The text to the editor state; after `delay` (the pause), settled."""
                nonlocal unsent_since
                await asyncio.sleep(delay)
                unsent_since = None
                results.syncs += 1
                frame = script.keystroke.replace(f"{SEED_TEXT}X", text)
                if delay:
                    frame = frame.replace('"settled":false', '"settled":true')
                await ws.send(script.for_session(frame, token, project_id, prompt_id))

            gaps = key_gaps(args.keystroke_interval, args.burst, args.key_gap)
            await asyncio.sleep(max(0.0, start_typing_at - time.monotonic()))
            while time.monotonic() < stop_at:
                await asyncio.sleep(next(gaps))
                if any(r.done() for r in readers):
                    raise RuntimeError("the server closed a websocket")
                text += random.choice("abcdefghij")
                seq += 1
                now = time.monotonic()
                pending.append((now, seq))
                results.sent += 1
                frame = json.dumps({"type": "render", "key": "1", "seq": seq, "text": text})
                if in_flight:
                    waiting[:] = [frame]
                else:
                    in_flight = True
                    await live.send(frame)
                if trailing is not None and not trailing.done():
                    trailing.cancel()
                if unsent_since is None:
                    unsent_since = now
                elif now - unsent_since >= SYNC_MAX_WAIT_S:
                    await sync(text)  # a long burst going on
                trailing = asyncio.create_task(sync(text, SYNC_PAUSE_S))
            await asyncio.sleep(2)  # let the last answers arrive
            if pending and time.monotonic() - pending[0][0] > 2:
                raise RuntimeError(f"{len(pending)} keystrokes unanswered")
            results.held += 1
            for reader in readers:
                reader.cancel()
    except Exception as exc:  # every failure counts as an error of this session
        results.errors.append(f"{type(exc).__name__}: {exc}"[:200])


async def drive_sessions(url, ws_url, script, seeded, sessions, duration, args) -> Results:
    results = Results()
    ramp = max(5.0, sessions / 25)  # open ~25 tabs per second
    start_typing_at = time.monotonic() + ramp + 3
    stop_at = start_typing_at + duration
    tasks = []
    for i in range(sessions):
        tasks.append(
            asyncio.create_task(
                run_session(i, url, ws_url, script, seeded, results, start_typing_at, stop_at, args)
            )
        )
        await asyncio.sleep(ramp / sessions)
    await asyncio.gather(*tasks)
    return results


def start_wrk(url: str, seeded: Seeded, rps: int, duration: float, workdir: Path):
    wrk = shutil.which("wrk")
    if wrk is None:
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        wrk = shutil.which("wrk") or "/usr/bin/wrk"
    script = workdir / "fleet.lua"
    script.write_text(WRK_LUA)
    connections = max(4, rps // 20)  # room for answers of up to ~50 ms at the full rate
    return subprocess.Popen(
        [wrk, "-t", "1", "-c", str(connections), "-d", f"{int(duration)}s", "-s", str(script)]
        + [url, "--", seeded.resolve_path, str(rps), *seeded.reader_keys],
        stdout=subprocess.PIPE,
        text=True,
    )


def wrk_result(proc) -> dict:
    out, _ = proc.communicate()
    line = next((ln for ln in out.splitlines() if ln.startswith("WRK_JSON ")), None)
    return json.loads(line.split(" ", 1)[1]) if line else {}


def pss_kib(pgids: list[int]) -> int:
    """Proportional set size of every process in these process groups (shared pages split)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) in pgids:
                rollup = (stat.parent / "smaps_rollup").read_text()
                total += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))
    return total


def group_cpu_seconds(pgids: list[int]) -> float:
    """CPU time (user + system) of every process in these process groups so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in pgids:
                total += sum(int(f) for f in fields[11:15])
    return total / ticks


def start_profilers(label: str, pgids: list[int], args) -> list[subprocess.Popen]:
    """py-spy (`uv pip install py-spy`) on each server and its workers while the load runs:
    samples that hold the GIL (or, with --profile-waits, every thread's samples, idle ones
    included), as collapsed stacks in --profile DIR (one file per server)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"\W+", "_", label)
    return [
        subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
            + (["--idle", "--threads"] if args.profile_waits else ["--gil"])
            + ["--format", "raw", "--rate", "50", "--duration", str(int(args.duration * 0.8))]
            + ["--output", str(out / f"{name}_{i}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, pid in enumerate(pgids)
    ]


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all of this machine's cores so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def machine_speed() -> float:
    """Seconds this machine takes for 10 million Python additions now: its speed comes and
    goes between runs minutes apart, so each row says how fast the machine was."""
    started, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def measure(label, url, ws_url, script, seeded, servers, redis_server, args, workdir) -> dict:
    speed = machine_speed()
    pgids = [proc.pid for proc in servers]
    memory_before = pss_kib(pgids)
    cpu_before = group_cpu_seconds(pgids)
    driver_before = time.process_time()
    machine_before = machine_cpu()
    commands_before = redis_server.commands()
    ramp = max(5.0, args.sessions / 25) + 3
    wrk = None
    started = time.monotonic()

    async def run() -> Results:
        nonlocal wrk
        task = asyncio.create_task(
            drive_sessions(url, ws_url, script, seeded, args.sessions, args.duration, args)
        )
        await asyncio.sleep(ramp)
        wrk = start_wrk(url, seeded, args.api_rps, args.duration, workdir)
        under_load.append(machine_cpu())
        profilers = start_profilers(label, pgids, args) if args.profile else []
        await asyncio.sleep(args.duration / 2)
        memory_during.append(pss_kib(pgids))
        done = await task
        under_load.append(machine_cpu())
        for profiler in profilers:
            profiler.wait()
        return done

    memory_during: list[int] = []
    under_load: list[tuple[int, int]] = []  # machine_cpu() when the API load starts and ends
    results = asyncio.run(run())
    elapsed = time.monotonic() - started
    server_cpu = group_cpu_seconds(pgids) - cpu_before
    driver_cpu = time.process_time() - driver_before
    busy, total = (
        after - before for after, before in zip(machine_cpu(), machine_before, strict=True)
    )
    load_busy, load_total = (
        after - before for after, before in zip(under_load[1], under_load[0], strict=True)
    )
    api = wrk_result(wrk)
    trips = sorted(results.round_trips)
    q = statistics.quantiles(trips, n=100) if len(trips) >= 100 else None
    return {
        "label": label,
        "sessions": args.sessions,
        "held": results.held,
        "connected": results.connected,
        "keystrokes": results.sent,
        "answered": len(trips),
        "syncs": results.syncs,
        "p50_ms": 1000 * statistics.median(trips) if trips else float("nan"),
        "p99_ms": 1000 * q[98] if q else float("nan"),
        "api_rps": api.get("requests", 0) / max(1e-9, api.get("duration_us", 1) / 1e6),
        "api_p99_ms": api.get("p99_us", 0) / 1000,
        "api_errors": api.get("non2xx", 0) + api.get("socket_errors", 0),
        "errors": results.errors,
        "kib_per_session": (max(memory_during or [0]) - memory_before) / max(1, args.sessions),
        "redis_ops": (redis_server.commands() - commands_before) / elapsed,
        # the app servers' CPU over the whole run (page loads, keystrokes, autosaves, API)
        "server_cpu_s": server_cpu,
        # this driver's own CPU (the simulated browsers), and all cores' busy share
        "driver_cpu_s": driver_cpu,
        "machine_busy": busy / max(1, total),
        # ... and while the API load ran too (the ramp-up, when tabs load, is quieter)
        "machine_busy_under_load": load_busy / max(1, load_total),
        "machine_speed_s": speed,
        "elapsed_s": elapsed,
    }


# ---------------------------------------------------------------------------- fleet
def nginx_in_front(workdir: Path, listen: int, ports: list[int]) -> subprocess.Popen:
    conf_dir = workdir / "nginx"
    conf_dir.mkdir(exist_ok=True)
    site = subprocess.run(
        [sys.executable, str(ROOT / "deploy/render_nginx.py"), "--listen", f"127.0.0.1:{listen}"]
        + [a for p in ports for a in ("--server", f"127.0.0.1:{p}")]
        + ["--app-dir", str(workdir), "--access-log", "off"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (conf_dir / "site.conf").write_text(
        site.replace("access_log off promptrepo;", "access_log off;")
    )
    (conf_dir / "nginx.conf").write_text(
        f"user root; worker_processes 1; daemon off; pid {conf_dir}/nginx.pid;\n"
        f"error_log {conf_dir}/error.log warn; worker_rlimit_nofile 8192;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ include /etc/nginx/mime.types; client_body_temp_path {conf_dir}/b;\n"
        f"proxy_temp_path {conf_dir}/p; fastcgi_temp_path {conf_dir}/f;\n"
        f"uwsgi_temp_path {conf_dir}/u; scgi_temp_path {conf_dir}/s;\n"
        f"include {conf_dir}/site.conf; }}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.Popen([nginx, "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")])


def print_row(r: dict) -> None:
    errors = len(r["errors"]) + r["api_errors"]
    print(
        f"{r['label']:<26} held {r['held']:>4}/{r['sessions']:<4} "
        f"keystroke p50 {r['p50_ms']:6.1f} ms p99 {r['p99_ms']:7.1f} ms "
        f"({r['answered']}/{r['keystrokes']} answered, {r['syncs']} state syncs) | "
        f"API {r['api_rps']:6.0f}/s p99 {r['api_p99_ms']:6.1f} ms | errors {errors} | "
        f"{r['kib_per_session']:6.0f} KiB/session | Redis {r['redis_ops']:6.0f} ops/s | "
        f"app CPU {r['server_cpu_s']:.0f} s in {r['elapsed_s']:.0f} s "
        f"(driver {r['driver_cpu_s']:.0f} s; all cores {r['machine_busy']:.0%} busy, "
        f"{r['machine_busy_under_load']:.0%} under load) | machine: 10M additions in "
        f"{r['machine_speed_s']:.2f} s",
        flush=True,
    )
    for error in sorted(set(r["errors"]))[:5]:
        print(f"    e.g. {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--keystroke-interval", type=float, default=1.0)
    parser.add_argument("--burst", type=int, default=5, help="keys per burst of typing")
    parser.add_argument("--key-gap", type=float, default=0.18, help="seconds between keys")
    parser.add_argument("--api-rps", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=3, help="per server (deploy/env.example's GRANIAN_WORKERS)"
    )
    parser.add_argument(
        "--fleet-workers",
        type=int,
        help="per server behind nginx (default: half of --workers, rounded down, at least 1: "
        "on one machine the two servers share its cores)",
    )
    parser.add_argument(
        "--only", choices=["one", "two"], help="measure only one server, or only two behind nginx"
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="record a py-spy profile of each server worker into DIR"
    )
    parser.add_argument(
        "--profile-waits",
        action="store_true",
        help="profile every thread, waits included (where an event loop blocks), not only "
        "the samples that hold the GIL",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_fleet_") as tmp:
        workdir = Path(tmp)
        copy_app(workdir)
        name = f"bench_fleet_{uuid.uuid4().hex[:8]}"
        admin = build_engine(PG_ADMIN_URL, pool_size=1).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        redis_server = PrivateRedis(workdir)
        servers: list[subprocess.Popen] = []
        nginx = None
        try:
            migrate(database_url)
            seeded = seed(database_url, args.sessions)
            ports = [free_port(), free_port()]
            first = f"http://127.0.0.1:{ports[0]}"
            env = app_env(
                workdir,
                APP_ENV="test",
                SECRET_KEY="bench-fleet-" + uuid.uuid4().hex,
                DATABASE_URL=database_url,
                REDIS_URL=redis_server.url,
                PUBLIC_URL=first,
                REFLEX_API_URL=first,  # one build for both servers
                GRANIAN_WORKERS=str(args.workers),
                API_ANONYMOUS_RATE_LIMIT="100000/minute",
            )
            args.public_url = first
            print(f"building and starting one server ({args.workers} workers)...", flush=True)
            servers.append(start_app(workdir, env, ports[0]))
            wait_until_serving(first, servers[0], workdir / "server.log", timeout=900)
            publish(first, seeded)
            script = capture(first, seeded)

            def run(label: str, url: str) -> None:
                args_ = (script, seeded, servers, redis_server, args, workdir)
                print_row(measure(label, url, url.replace("http", "ws"), *args_))

            if args.only != "two":
                run(f"1 server x {args.workers} workers", first)
            if args.only == "one":
                return

            fleet_workers = args.fleet_workers or max(1, args.workers // 2)
            if fleet_workers != args.workers:
                stop_app(servers.pop())
                env["GRANIAN_WORKERS"] = str(fleet_workers)
                servers.append(start_app(workdir, env, ports[0]))
                wait_until_serving(first, servers[0], workdir / "server.log", timeout=300)
            print(f"starting a second server; {fleet_workers} workers each...", flush=True)
            servers.append(start_app(workdir, env, ports[1]))
            second = f"http://127.0.0.1:{ports[1]}"
            wait_until_serving(second, servers[1], workdir / "server.log", timeout=300)
            listen = free_port()
            nginx = nginx_in_front(workdir, listen, ports)
            front = f"http://127.0.0.1:{listen}"
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(front + "/ping", timeout=2).status_code == 200:
                        break
                time.sleep(0.1)
            run(f"2 servers x {fleet_workers}, nginx", front)
            print(
                f"\nTargets: {args.sessions} sessions held, keystroke p99 <= 150 ms, 0 errors, "
                f"API {args.api_rps}/s (a key every ~{args.keystroke_interval} s per session, "
                f"in bursts of {args.burst} keys {args.key_gap} s apart)"
            )
        finally:
            if nginx is not None:
                nginx.terminate()
                nginx.wait()
            for proc in servers:
                stop_app(proc)
            redis_server.stop()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
