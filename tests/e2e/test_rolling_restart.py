"""Rolling restarts lose nothing (issue 17, item 2), following README "Running more than one
server" on loopback ports.

Two app servers (one worker each) share PostgreSQL, Redis and one build, behind nginx
(Debian's package, rendered by deploy/render_nginx.py). A user types in the editor in
Chromium through nginx while each server in turn is stopped (SIGTERM), started again and
waited for (`/api/ready`). Afterwards: every typed character is in the saved draft, the page
reconnected by itself and shows "All changes saved", and no connection error is left on it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from promptrepo.db import build_engine, migrate
from promptrepo.models import Prompt
from tests.app_server import (
    ROOT,
    app_env,
    copy_app,
    free_port,
    start_app,
    stop_app,
    wait_until_serving,
)
from tests.factories import make_user
from tests.prompt_factories import make_prompt

pytestmark = pytest.mark.timeout(1200)

TYPED = "The quick brown fox jumps over the lazy dog while servers restart. " * 2


def wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/api/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {timeout} s")


class Nginx:
    """nginx in the foreground with its own prefix, config and logs."""

    def __init__(self, workdir: Path, listen: int, servers: list[int], app_dir: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            if os.environ.get("CI", "").lower() == "true":  # make test installs it
                pytest.fail("CI=true and nginx is not installed (apt-get install nginx)")
            pytest.skip("nginx is not installed (apt-get install nginx)")
        self.dir = workdir / "nginx"
        self.dir.mkdir()
        site = subprocess.run(
            [
                sys.executable,
                str(ROOT / "deploy/render_nginx.py"),
                "--listen",
                f"127.0.0.1:{listen}",
            ]
            + [arg for port in servers for arg in ("--server", f"127.0.0.1:{port}")]
            + ["--app-dir", str(app_dir), "--access-log", str(self.dir / "access.log")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (self.dir / "site.conf").write_text(site)
        (self.dir / "nginx.conf").write_text(
            f"""
user root;
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    include {self.dir}/site.conf;
}}
"""
        )
        check = subprocess.run(
            [binary, "-t", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen(
            [binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
            start_new_session=True,
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def test_typing_through_a_rolling_restart_loses_nothing(
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
    pg_app_database_url: str,
    redis_url: str,
) -> None:

    workdir = tmp_path_factory.mktemp("fleet")
    copy_app(workdir)
    listen, ports = free_port(), [free_port(), free_port()]
    public = f"http://127.0.0.1:{listen}"
    env = app_env(
        workdir,
        APP_ENV="test",
        SECRET_KEY="test-secret-key-" + uuid.uuid4().hex,
        DATABASE_URL=pg_app_database_url,
        REDIS_URL=redis_url.rsplit("/", 1)[0] + "/12",
        PUBLIC_URL=public,
        REFLEX_API_URL=public,  # browsers open the websocket on nginx
        GRANIAN_WORKERS="1",
    )
    migrate(pg_app_database_url)  # 1. migrate once
    built = subprocess.run(  # 2. build once
        [str(ROOT / ".venv/bin/python"), "-m", "promptrepo.serve", "--build-only"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]

    servers: dict[int, subprocess.Popen] = {}

    def start(port: int) -> None:  # 3. start (reusing the build)
        servers[port] = start_app(workdir, env, port, log_name=f"server-{port}.log")
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, servers[port], workdir / f"server-{port}.log", timeout=120)
        wait_ready(url)

    engine = build_engine(pg_app_database_url, pool_size=1)
    nginx = None
    try:
        for port in ports:
            start(port)
            assert "reusing .web/build" in (workdir / f"server-{port}.log").read_text()
        nginx = Nginx(workdir, listen, ports, workdir)  # 4. nginx in front
        wait_ready(public)

        from sqlmodel import Session

        from promptrepo.services.sessions import create_session
        from promptrepo.state.base import SESSION_COOKIE

        with Session(engine, expire_on_commit=False) as s:
            owner = make_user(s, email=f"roll-{uuid.uuid4().hex[:8]}@example.com", name="Rolf")
            project, prompt = make_prompt(s, owner, name="Rolling", project_name="Fleet")
            token = create_session(s, owner.user_id)
            s.commit()

        restarts: list[str] = []

        def roll() -> None:
            for port in ports:
                time.sleep(3)
                stop_app(servers[port])
                restarts.append(f"stopped {port}")
                trace.append(f"{time.monotonic():.1f} stopped {port}")
                time.sleep(1)
                start(port)
                restarts.append(f"ready {port}")
                trace.append(f"{time.monotonic():.1f} ready {port}")

        # The session's browser (pytest-playwright): a second sync Playwright in the same
        # process refuses to start while the first one's event loop runs.
        context = browser.new_context()
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": public}])
        page = context.new_page()
        trace: list[str] = []  # what the page saw, printed when the test fails
        page.on(
            "console",
            lambda m: trace.append(f"{time.monotonic():.1f} console {m.type}: {m.text[:200]}"),
        )

        def on_websocket(ws) -> None:
            trace.append(f"{time.monotonic():.1f} websocket opened {ws.url[:80]}")
            ws.on("close", lambda _: trace.append(f"{time.monotonic():.1f} websocket closed"))

        page.on("websocket", on_websocket)
        page.on(
            "framenavigated", lambda f: trace.append(f"{time.monotonic():.1f} navigated {f.url}")
        )
        page.goto(f"{public}/projects/{project.id}/prompts/{prompt.id}")
        editor = page.locator("#prompt-content")
        expect(editor).to_be_visible(timeout=60_000)
        editor.click()

        # The code editor's view: a new one means the editor was remounted (keys typed at
        # that moment could go elsewhere), printed with the trace.
        same_view = (
            "() => { const v = window.__promptEditorView, same = v === window.__seenView;"
            " window.__seenView = v; return same; }"
        )
        page.evaluate(same_view)
        roller = threading.Thread(target=roll)
        roller.start()
        typed = ""
        # Type at a human rate until both servers were restarted, then a little more.
        while roller.is_alive() or len(typed) < 40:
            char = TYPED[len(typed) % len(TYPED)]
            page.keyboard.type(char)
            typed += char
            time.sleep(0.12)
            if not page.evaluate(same_view):
                trace.append(f"{time.monotonic():.1f} editor remounted after {len(typed)} chars")
        roller.join()
        assert restarts == [f"{word} {p}" for p in ports for word in ("stopped", "ready")]

        # Saved, and no keys left in the page (the editor sends its text at a pause).
        saved = page.locator("html:not([data-unsent-edits]) #save-status")
        try:
            expect(saved).to_have_attribute("data-state", "saved", timeout=60_000)
            page.wait_for_function(
                "t => window.__promptEditorView.state.doc.toString() === t",
                arg=typed,
                timeout=10_000,
            )
            expect(page.get_by_text("Cannot connect to server")).to_have_count(0)
        except (AssertionError, PlaywrightTimeoutError):
            with Session(engine) as s:
                stored = s.get(Prompt, prompt.id).content
            print("\n".join(trace[-60:]))
            print(f"restarts: {restarts}; typed {len(typed)} chars; saved {len(stored)}")
            shown = page.evaluate("() => window.__promptEditorView.state.doc.toString()")
            print(f"page shows {len(shown)} chars")
            print(f"typed: {typed!r}\nshown: {shown!r}\nsaved: {stored!r}")
            for port in ports:
                lines = (workdir / f"server-{port}.log").read_text(errors="replace").splitlines()
                print(f"--- server {port}, last lines:", *lines[-40:], sep="\n")
            raise
        context.close()

        with Session(engine) as s:
            draft = s.get(Prompt, prompt.id)
            assert draft.content == typed, (len(draft.content), len(typed))
        # One server was up at every moment, so nginx never answered for want of one (502).
        log = (nginx.dir / "access.log").read_text().splitlines()
        refused = [line for line in log if '" 502 ' in line or '" 504 ' in line]
        assert not refused, f"{len(refused)} of {len(log)} requests refused: {refused[:3]}"
        print(f"typed {len(typed)} characters through 2 restarts; all saved")
    finally:
        if nginx is not None:
            nginx.stop()
        for proc in servers.values():
            stop_app(proc)
        engine.dispose()
