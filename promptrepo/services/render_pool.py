"""Every render runs in a small pool of worker processes, under a wall-clock budget.

A template is user-written code. The sandbox (`services/templates.py`) refuses values too big
to build, but only a separate process can be *stopped*: each render and its validators run in
a `render_worker` process, and one still busy when `RENDER_TIMEOUT_SECONDS` have passed is
killed and replaced, and the caller gets ValidationFailed (422) saying so. The serving
process never runs template code, so a hostile template cannot freeze its event loop.

- Workers start lazily (at the first render), at most `RENDER_WORKERS` per serving process;
  each caps its address space (`RENDER_WORKER_MEMORY_MB`) and runs at a lower CPU priority
  (`RENDER_WORKER_NICE`), so renders burning their budget leave the CPU to requests.
- A killed worker's replacement starts at once in a background thread, so the next render
  does not wait for a process start.
- When every worker is busy, a render waits up to `RENDER_QUEUE_SECONDS` for one, then is
  refused with 429 (the server is saturated; try again).
- `render_and_validate` blocks (for service code running in threads);
  `render_and_validate_async` awaits it from a thread, so an event loop never waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptrepo.services.errors import RateLimited, ValidationFailed
from promptrepo.services.render_worker import READY
from promptrepo.services.validator_rules import ValidatorResult, _as_pair

log = logging.getLogger(__name__)

_HEADER_SIZE = 4
_ROOT = str(Path(__file__).resolve().parents[2])  # so `-m promptrepo…` resolves from any cwd
_PYTHONPATH = os.environ.get("PYTHONPATH", "")
WORKER_START_SECONDS = 60.0  # a worker that is not ready by then failed to start


class WorkerFailed(Exception):
    """The worker process died or broke the protocol (not the template's fault alone)."""


@dataclass(frozen=True)
class PoolConfig:
    size: int = 2
    timeout: float = 1.0
    memory_mb: int = 1024
    nice: int = 10
    queue_timeout: float = 5.0


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, config: PoolConfig) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, _PYTHONPATH]))}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "promptrepo.services.render_worker",
                str(config.memory_mb),
                str(config.nice),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
            env=env,
        )
        self.rfd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        self.wfd = self.proc.stdin.fileno()  # type: ignore[union-attr]
        try:
            ready = self._read_frame(time.monotonic() + WORKER_START_SECONDS)
        except (TimeoutError, WorkerFailed):
            self.kill()
            raise WorkerFailed("the render worker did not start") from None
        if ready != READY:
            self.kill()
            raise WorkerFailed("the render worker answered something unexpected at start")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def request(self, payload: bytes, timeout: float) -> bytes:
        """Send one request and wait for its answer; TimeoutError past `timeout` seconds."""
        deadline = time.monotonic() + timeout
        data = memoryview(len(payload).to_bytes(_HEADER_SIZE, "big") + payload)
        try:
            while data:
                data = data[os.write(self.wfd, data) :]
        except OSError as exc:
            raise WorkerFailed(f"the render worker is gone ({exc})") from None
        return self._read_frame(deadline)

    def _read_frame(self, deadline: float) -> bytes:
        size = int.from_bytes(self._read_exact(_HEADER_SIZE, deadline), "big")
        return self._read_exact(size, deadline)

    def _read_exact(self, size: int, deadline: float) -> bytes:
        poller = select.poll()  # poll, not select: a busy server has file numbers > 1024
        poller.register(self.rfd, select.POLLIN | select.POLLHUP | select.POLLERR)
        parts: list[bytes] = []
        missing = size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(self.rfd, min(missing, 1 << 20))
            if not chunk:
                raise WorkerFailed("the render worker stopped")
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]


class RenderPool:
    """Up to `config.size` worker processes shared by every thread of this process."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self._idle: list[_Worker] = []
        self._count = 0  # workers alive or starting
        self._starting = 0
        self._cond = threading.Condition()
        self._closed = False
        self.replaced = 0  # workers killed (past their budget or dead) and replaced

    # ------------------------------------------------------------------ workers
    def _acquire(self) -> _Worker:
        # Waiting for a worker that is *starting* does not count against the queue timeout
        # (a process start can take seconds on a loaded machine); waiting for busy ones does.
        start = time.monotonic()
        with self._cond:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._count < self.config.size:
                    self._count += 1
                    self._starting += 1
                    break
                waited = time.monotonic() - start
                limit = WORKER_START_SECONDS if self._starting else self.config.queue_timeout
                if waited >= limit:
                    raise RateLimited(
                        "Every renderer is busy; try again in a moment.", retry_after=1
                    )
                self._cond.wait(min(limit - waited, 0.25))
        return self._start_worker()

    def _start_worker(self) -> _Worker:
        """Start a worker for a slot already counted in `_count` and `_starting`."""
        try:
            worker = _Worker(self.config)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._starting -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._starting -= 1
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
                self._count -= 1
                return
            self._idle.append(worker)
            self._cond.notify_all()

    def _discard(self, worker: _Worker) -> None:
        """Kill `worker` and start its replacement in the background."""
        worker.kill()
        with self._cond:
            self.replaced += 1
            self._starting += 1
        threading.Thread(target=self._replace, name="render-worker-start", daemon=True).start()

    def _replace(self) -> None:
        try:
            worker = self._start_worker()
        except Exception:
            log.exception("render worker replacement failed to start")
            return
        self._release(worker)

    def worker_pids(self) -> list[int]:
        """The idle workers' process ids (for tests and benchmarks)."""
        with self._cond:
            return [w.pid for w in self._idle]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for worker in idle:
            worker.kill()

    # ------------------------------------------------------------------ requests
    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send `request` to a worker; its answer, or ValidationFailed when past the budget."""
        payload = json.dumps(request, default=str).encode()
        worker = self._acquire()
        try:
            answer = worker.request(payload, self.config.timeout)
        except TimeoutError:
            self._discard(worker)
            message = (
                f"The template took longer than {self.config.timeout:g} s to render "
                "(the time limit, validators included); simplify it or its validators."
            )
            raise ValidationFailed(message, errors=[{"loc": ["content"], "msg": message}]) from None
        except WorkerFailed:
            self._discard(worker)
            message = (
                "The template stopped its renderer (it may need more memory than a render "
                "may use); simplify it."
            )
            raise ValidationFailed(message, errors=[{"loc": ["content"], "msg": message}]) from None
        except BaseException:
            self._discard(worker)
            raise
        self._release(worker)
        return json.loads(answer)


_pool: RenderPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()
# Threads that wait for a worker on behalf of async callers (the wait itself is bounded by
# the queue timeout plus the render budget, so these threads never pile up for long).
_executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="render-wait")


def _config_from_settings() -> PoolConfig:
    from promptrepo.settings import settings

    return PoolConfig(
        size=settings.render_workers,
        timeout=settings.render_timeout_seconds,
        memory_mb=settings.render_worker_memory_mb,
        nice=settings.render_worker_nice,
        queue_timeout=settings.render_queue_seconds,
    )


def pool() -> RenderPool:
    """This process's pool (a forked child gets its own, never its parent's pipes)."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        with _pool_lock:
            if _pool is None or _pool_pid != os.getpid():
                _pool, _pool_pid = RenderPool(_config_from_settings()), os.getpid()
    return _pool


def configure(config: PoolConfig | None = None) -> RenderPool:
    """Replace this process's pool (tests set a short budget); None: from settings again."""
    global _pool, _pool_pid
    with _pool_lock:
        old, _pool = _pool, RenderPool(config or _config_from_settings())
        _pool_pid = os.getpid()
    if old is not None:
        old.close()
    return _pool


def render_and_validate(
    content: str, spec: dict[str, Any], validator_list: list[Any], values: dict[str, Any]
) -> tuple[str, list[ValidatorResult]]:
    """Render `content` with `values` checked against `spec`, then run the validators on the
    text, in a worker process under the render budget. Blocks the calling thread.

    Raises ValidationFailed naming the variable, the line or the limit the template hit
    (time included), or RateLimited when every worker stays busy.
    """
    validators = []
    for validator in validator_list:
        type_, config, vid = _as_pair(validator)
        validators.append({"type": type_, "config": config, "id": vid})
    answer = pool().run(
        {"content": content, "spec": spec, "validators": validators, "values": values}
    )
    if not answer["ok"]:
        raise ValidationFailed(answer["message"], errors=answer.get("errors") or [])
    results = [ValidatorResult(**r) for r in answer["results"]]
    return answer["text"], results


async def render_and_validate_async(
    content: str, spec: dict[str, Any], validator_list: list[Any], values: dict[str, Any]
) -> tuple[str, list[ValidatorResult]]:
    """`render_and_validate` for async code: the event loop keeps serving while it runs."""
    loop = asyncio.get_running_loop()
    call = functools.partial(render_and_validate, content, spec, validator_list, values)
    return await loop.run_in_executor(_executor, call)
