"""Bodies are bounded before they are read, in the really served app (granian, Reflex).

A raw socket streams the body, so the test sees when the server answers: a 200 MB chunked
body to the Stripe webhook is refused after about the 1 MB limit, not read into memory, and
the server's resident memory (every process running in the app's folder) stays flat.
"""

from __future__ import annotations

import os
import select
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

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


def test_a_streamed_200_mb_webhook_is_413_without_being_read(app_server) -> None:
    workdir = app_server.log_path.parent
    before = server_rss_mib(workdir)
    status, sent = post_raw(app_server.url, "/api/stripe/webhook", total=200 * MB)
    after = server_rss_mib(workdir)
    assert status == 413
    assert sent < 32 * MB, f"the server read {sent / MB:.0f} MB before refusing"
    assert after - before < 64, (
        f"server memory grew {after - before:.0f} MiB ({before:.0f} → {after:.0f})"
    )


def test_a_declared_200_mb_webhook_is_413_at_once(app_server) -> None:
    started = time.monotonic()
    status, _ = post_raw(app_server.url, "/api/stripe/webhook", declared=200 * MB)
    assert status == 413
    assert time.monotonic() - started < 5


def test_uploads_over_the_import_limit_are_413(app_server) -> None:
    status, sent = post_raw(app_server.url, "/_upload", total=20 * MB)
    assert status == 413
    assert sent < 16 * MB
