"""How long `make run` takes to answer: first start, restart with no change, restart after a
page changed.

The app's source is copied to a temporary folder (tests/app_server.copy_app) and served there
with `python -m promptrepo.serve --migrate`, the command `make run` runs after its install
check (`scripts/bootstrap.sh`, about half a second when nothing is missing), on SQLite:

1. cold: no `.web/` yet, so the frontend is compiled and exported;
2. warm: the same sources again, so the build is reused (target: answers within 10 s);
3. changed: one page's source gets a new line, so the frontend must be rebuilt; the check
   that it was: the launcher says so, and the new build's stamp differs.

"Answers" means `/ping` and `/` both return 200. Prints the three times, each with the CPU
time the server's processes used until then (the wall time on a shared machine also measures
everyone else's work; the CPU time is what the start itself costs).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.app_server import app_env, copy_app, free_port, start_app, stop_app  # noqa: E402


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system, finished children included) of a process group so far: on a
    machine shared with other work the wall time says as much about the others."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after ")": state ppid pgrp ...
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def time_to_answer(workdir: Path, env: dict[str, str], port: int) -> tuple[float, float, str]:
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    proc = start_app(workdir, env, port, "--migrate")  # as `make run` starts it
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError((workdir / "server.log").read_text(errors="replace")[-3000:])
            try:
                if (
                    httpx.get(f"{url}/ping", timeout=2).status_code == 200
                    and httpx.get(url + "/", timeout=5).status_code == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > 600:
                raise RuntimeError("the app did not answer within 600 s")
            time.sleep(0.1)
        wall = time.monotonic() - started
        return wall, group_cpu_seconds(proc.pid), (workdir / "server.log").read_text()
    finally:
        stop_app(proc)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_start_") as tmp:
        workdir = Path(tmp)
        copy_app(workdir)
        env = app_env(
            workdir,
            APP_ENV="test",
            SECRET_KEY="bench-start-secret-key-0123456789abcdef",
            DATABASE_URL=f"sqlite:///{workdir / 'data' / 'app.db'}",
            PUBLIC_URL="http://localhost:3000",
        )
        env.pop("REDIS_URL", None)
        (workdir / "data").mkdir(exist_ok=True)
        stamp = workdir / ".web" / "promptrepo-frontend.sha256"
        # One port throughout, as `make run` uses: the browser's websocket address (with the
        # port) is baked into the build, so another port is a different build.
        port = free_port()

        print("Time until `make run`'s server answers / (SQLite, 2 shared cores):", flush=True)
        cold, cpu, log = time_to_answer(workdir, env, port)
        assert "building the frontend" in log, "the first start should build"
        print(f"  cold start (build)          {cold:6.1f} s   ({cpu:5.1f} s CPU)", flush=True)
        first_stamp = stamp.read_text()
        warm, cpu, log = time_to_answer(workdir, env, port)
        assert "reusing .web/build" in log, "an unchanged restart should reuse the build"
        print(
            f"  restart, nothing changed    {warm:6.1f} s   ({cpu:5.1f} s CPU; target <= 10 s)",
            flush=True,
        )

        page = workdir / "promptrepo" / "pages" / "pricing.py"
        page.write_text(page.read_text() + "\n# a change to a page\n")
        changed, cpu, log = time_to_answer(workdir, env, port)
        assert "building the frontend" in log, "a changed page should rebuild"
        assert stamp.read_text() != first_stamp
        print(f"  restart after a page change {changed:6.1f} s   ({cpu:5.1f} s CPU, rebuilt)")


if __name__ == "__main__":
    main()
