"""Bodies are bounded before they are read, by a real server: the built app (Reflex on
granian, `app_server`) and, cheaper, the API app alone on granian.

A raw socket streams the body, so the test sees when the server answers: a 200 MB chunked
body to the Stripe webhook is refused after about the 1 MB limit, not read into memory, and
the server's resident memory (all its processes) stays flat.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from promptrepo.db import migrate
from tests.app_server import ROOT, free_port

MB = 1024 * 1024


def server_rss_mib(workdir: Path) -> float:
    """Resident memory of every process whose working directory is the served app's."""
    total_kib = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "cwd") != str(workdir):
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return total_kib / 1024


def process_tree_rss_mib(root_pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    total_kib, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


@dataclass
class Served:
    url: str
    rss_mib: Callable[[], float]
    serves_uploads: bool


@pytest.fixture(scope="module")
def api_on_granian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`create_api()` alone, served by granian as the app is (one worker, SQLite)."""
    workdir = tmp_path_factory.mktemp("granian-api")
    database_url = f"sqlite:///{workdir / 'app.db'}"
    migrate(database_url)
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "STRIPE_WEBHOOK_SECRET": "whsec_body_limits",
    }
    env.pop("REDIS_URL", None)
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory"]
        + ["--host", "127.0.0.1", "--port", str(port), "promptrepo.api:create_api"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail((workdir / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield Served(url, lambda: process_tree_rss_mib(proc.pid), serves_uploads=False)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(params=["api-on-granian", "built-app"])
def served(request: pytest.FixtureRequest) -> Served:
    if request.param == "api-on-granian":
        return request.getfixturevalue("api_on_granian")
    app_server = request.getfixturevalue("app_server")
    workdir = app_server.log_path.parent
    return Served(app_server.url, lambda: server_rss_mib(workdir), serves_uploads=True)


def post_raw(
    url: str, path: str, *, total: int = 0, declared: int | None = None
) -> tuple[int, int]:
    """POST `total` bytes to `path` in 64 KiB chunks (or announce `declared` bytes and send
    none); stop as soon as the server answers. Returns (status, bytes sent before it did)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
    head += (
        f"Content-Length: {declared}\r\n"
        if declared is not None
        else "Transfer-Encoding: chunked\r\n"
    )
    sock.sendall((head + "\r\n").encode())
    sock.setblocking(False)
    chunk = b"x" * (64 * 1024)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent, pending, response, finished = 0, b"", b"", declared is not None
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and b"\r\n\r\n" not in response:
            want_write = not finished or bool(pending)
            readable, writable, _ = select.select([sock], [sock] if want_write else [], [], 1)
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                response += data
                continue
            if writable:
                if not pending:
                    if sent < total:
                        pending, sent = frame, sent + len(chunk)
                    else:
                        pending, finished = b"0\r\n\r\n", True
                try:
                    pending = pending[sock.send(pending) :]
                except (BrokenPipeError, ConnectionResetError):
                    finished, pending = True, b""
    finally:
        sock.close()
    assert response, "the server never answered"
    return int(response.split(b" ", 2)[1]), sent


def test_a_streamed_200_mb_webhook_is_413_without_being_read(served: Served) -> None:
    before = served.rss_mib()
    status, sent = post_raw(served.url, "/api/stripe/webhook", total=200 * MB)
    after = served.rss_mib()
    assert status == 413
    assert sent < 32 * MB, f"the server read {sent / MB:.0f} MB before refusing"
    assert after - before < 64, (
        f"server memory grew {after - before:.0f} MiB ({before:.0f} → {after:.0f})"
    )


def test_a_declared_200_mb_webhook_is_413_at_once(served: Served) -> None:
    started = time.monotonic()
    status, _ = post_raw(served.url, "/api/stripe/webhook", declared=200 * MB)
    assert status == 413
    assert time.monotonic() - started < 5


def test_a_webhook_within_the_limit_is_read_and_judged(served: Served) -> None:
    status, _ = post_raw(served.url, "/api/stripe/webhook", total=256 * 1024)
    assert status == 400  # read in full, then refused for its (missing) signature


def test_uploads_over_the_import_limit_are_413(served: Served) -> None:
    if not served.serves_uploads:
        pytest.skip("Reflex's /_upload exists in the built app only")
    # A browser's upload announces its size: refused by it, before a byte is read. (A chunked
    # body without the upload headers is refused by Reflex itself with 400, also unread.)
    status, sent = post_raw(served.url, "/_upload", declared=20 * MB)
    assert status == 413
    assert sent == 0
