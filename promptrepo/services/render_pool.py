"""Every render runs in a small pool of worker processes, under a wall-clock budget.

A template is user-written code. The sandbox (`services/templates.py`) refuses values too big
to build, but only a separate process can be *stopped*: each render and its validators run in
a `render_worker` process, and one still busy when `RENDER_TIMEOUT_SECONDS` have passed is
killed and replaced, and the caller gets ValidationFailed (422) saying so. The serving
process never runs template code, so a hostile template cannot freeze its event loop.

- Workers start lazily (all of them at the first render), `RENDER_WORKERS` per serving process;
  each caps its address space (`RENDER_WORKER_MEMORY_MB`). A render runs at normal CPU
  priority for its first `RENDER_FULL_PRIORITY_MS`; one still running then is moved to a
  lower priority (`RENDER_WORKER_NICE`) for the rest of its budget, so renders burning their
  budget leave the CPU to requests, and its worker is replaced afterwards (a process cannot
  raise its priority again). Short renders — the editor's, per keystroke — so never queue
  behind every other process of a loaded machine: at nice 19 under a load average of 8 on 2
  cores, a 7-line template took ~10 ms in the pool instead of ~1 ms.
- Workers are forked from a zygote process that has imported and warmed everything, so a
  killed worker's replacement (started at once, in a background thread) is ready in
  milliseconds; only the zygote's own start (at the first render) pays for the imports.
- When every worker is busy, a render waits up to `RENDER_QUEUE_SECONDS` for one, then is
  refused with 429 (the server is saturated; try again).
- `render_and_validate` blocks (for service code running in threads);
  `render_and_validate_async` awaits it from a thread, so an event loop never waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptrepo.services.errors import RateLimited, ValidationFailed
from promptrepo.services.render_worker import READY
from promptrepo.services.validator_rules import ValidatorResult, _as_pair
from promptrepo.services.variables import UnsetText

log = logging.getLogger(__name__)

_HEADER_SIZE = 4
_ROOT = str(Path(__file__).resolve().parents[2])  # so `-m promptrepo…` resolves from any cwd
_PYTHONPATH = os.environ.get("PYTHONPATH", "")
WORKER_START_SECONDS = 60.0  # a zygote that is not ready by then failed to start


class WorkerFailed(Exception):
    """The worker process died or broke the protocol (not the template's fault alone)."""


@dataclass
class Deadline:
    """One time budget shared by several renders (e.g. every prompt of a project). Its clock
    starts with the first render sent to a worker: waiting for a renderer to start (its
    process, on a busy machine) is not the template's time."""

    what: str
    seconds: float
    at: float = 0.0

    def remaining(self) -> float:
        if not self.at:
            self.at = time.monotonic() + self.seconds
        return self.at - time.monotonic()


@dataclass(frozen=True)
class PoolConfig:
    size: int = 2
    timeout: float = 1.0
    memory_mb: int = 1024
    nice: int = 19
    full_priority: float = 0.015  # seconds a render runs at normal priority before `nice`
    queue_timeout: float = 5.0
    per_account: int = 1  # renders at once for one account (0: no limit); others wait


# The account a render is for (set by the API's principal dependency and the editor), so that
# one account's renders take turns instead of taking every worker and core at once.
render_account: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "render_account", default=None
)


@contextlib.contextmanager
def acting_for(account: object) -> Iterator[None]:
    """Renders started inside this block count against `account`'s share of the pool."""
    token = render_account.set(str(account) if account else None)
    try:
        yield
    finally:
        render_account.reset(token)


class _Zygote:
    """The process render workers are forked from (see render_worker): started once, slowly
    (imports), then each worker costs a fork, so a killed one is replaced in milliseconds."""

    def __init__(self, config: PoolConfig) -> None:
        self._lock = threading.Lock()
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, _PYTHONPATH]))}
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "promptrepo.services.render_worker",
                    str(theirs.fileno()),
                    str(config.memory_mb),
                ],
                stdin=subprocess.DEVNULL,
                pass_fds=[theirs.fileno()],
                env=env,
            )
        finally:
            theirs.close()
        self.control = ours
        ours.settimeout(WORKER_START_SECONDS)
        try:
            ready = ours.recv(len(READY))
        except OSError:
            ready = b""
        if ready != READY:
            self.close()
            raise WorkerFailed("the render worker zygote did not start")

    def fork(self) -> tuple[int, socket.socket]:
        """A new worker: its pid and the socket to talk to it."""
        with self._lock:
            try:
                self.control.sendall(b"F")
                message, fds, _, _ = socket.recv_fds(self.control, 8, 1)
            except OSError as exc:
                raise WorkerFailed(f"the render worker zygote is gone ({exc})") from None
        if len(message) != 8 or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise WorkerFailed("the render worker zygote stopped")
        return int.from_bytes(message, "big"), socket.socket(fileno=fds[0])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.control.close()
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()


class _Worker:
    """One worker process (forked by the zygote) and its socket."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock
        self.fd = sock.fileno()
        self.demoted = False  # moved to the lower priority (see `demote`, `restore`)

    def request(
        self, payload: bytes, timeout: float, full_priority: float = 0.0, nice: int = 0
    ) -> bytes:
        """Send one request and wait for its answer; TimeoutError past `timeout` seconds.
        Still running after `full_priority` seconds, the worker is lowered to `nice`."""
        deadline = time.monotonic() + timeout
        try:
            self.sock.sendall(len(payload).to_bytes(_HEADER_SIZE, "big") + payload)
        except OSError as exc:
            raise WorkerFailed(f"the render worker is gone ({exc})") from None
        if nice and not self.demoted:
            poller = select.poll()
            poller.register(self.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
            if not poller.poll(max(0.0, min(full_priority, timeout)) * 1000):
                self.demote(nice)
        size = int.from_bytes(self._read_exact(_HEADER_SIZE, deadline), "big")
        return self._read_exact(size, deadline)

    async def request_async(
        self, payload: bytes, timeout: float, full_priority: float = 0.0, nice: int = 0
    ) -> bytes:
        """`request` for an event loop: the same framing, budget and demotion, awaiting
        the socket instead of blocking a thread on it."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        self.sock.setblocking(False)
        try:
            try:
                await loop.sock_sendall(
                    self.sock, len(payload).to_bytes(_HEADER_SIZE, "big") + payload
                )
            except OSError as exc:
                raise WorkerFailed(f"the render worker is gone ({exc})") from None
            slow = nice and not self.demoted
            if slow and not await self._readable(loop, min(full_priority, timeout)):
                self.demote(nice)
            header = await self._read_exact_async(loop, _HEADER_SIZE, deadline)
            return await self._read_exact_async(loop, int.from_bytes(header, "big"), deadline)
        finally:
            with contextlib.suppress(OSError):
                self.sock.setblocking(True)

    async def _readable(self, loop: asyncio.AbstractEventLoop, timeout: float) -> bool:
        """Wait until the socket has data (or is closed); False after `timeout` seconds."""
        if timeout <= 0:
            return False
        ready = loop.create_future()
        loop.add_reader(self.fd, lambda: ready.done() or ready.set_result(None))
        try:
            await asyncio.wait_for(ready, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            loop.remove_reader(self.fd)

    async def _read_exact_async(
        self, loop: asyncio.AbstractEventLoop, size: int, deadline: float
    ) -> bytes:
        parts: list[bytes] = []
        missing = size
        while missing:
            try:
                chunk = self.sock.recv(min(missing, 1 << 20))
            except BlockingIOError:
                if not await self._readable(loop, deadline - time.monotonic()):
                    raise TimeoutError from None
                continue
            except OSError:
                chunk = b""
            if not chunk:
                raise WorkerFailed("the render worker stopped")
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def _read_exact(self, size: int, deadline: float) -> bytes:
        poller = select.poll()  # poll, not select: a busy server has file numbers > 1024
        poller.register(self.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        parts: list[bytes] = []
        missing = size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError
            try:
                chunk = self.sock.recv(min(missing, 1 << 20))
            except OSError:
                chunk = b""
            if not chunk:
                raise WorkerFailed("the render worker stopped")
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def demote(self, nice: int) -> None:
        """Lower the worker's CPU priority (for the rest of this render: see `restore`)."""
        self.demoted = True
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.pid, nice)

    def restore(self) -> bool:
        """Raise a demoted worker back to this process's priority, after its render. Only a
        process allowed to (root, CAP_SYS_NICE, or RLIMIT_NICE — `LimitNICE=` in the systemd
        units) can; False otherwise, and the worker is then replaced. Keeping it keeps what
        it compiled: a fresh worker renders the editor's next keystroke cold (a 10 KB
        template: ~15 ms instead of ~3), which, past `full_priority`, demoted it in turn."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.pid, os.getpriority(os.PRIO_PROCESS, 0))
        except OSError:
            return False
        self.demoted = False
        return True

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)  # the zygote reaps it
        with contextlib.suppress(OSError):
            self.sock.close()


class RenderPool:
    """Up to `config.size` worker processes shared by every thread of this process."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self._idle: list[_Worker] = []
        self._count = 0  # workers alive or starting
        self._starting = 0
        self._cond = threading.Condition()
        self._closed = False
        self._zygote: _Zygote | None = None
        self._zygote_lock = threading.Lock()
        self.replaced = 0  # workers killed (past their budget or dead) and replaced
        self._accounts: dict[str, int] = {}  # account → renders under way

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
                    # Fill the pool at first use, so a worker killed later leaves others
                    # ready while its replacement starts.
                    spares = self.config.size - self._count
                    self._count += spares
                    self._starting += spares
                    break
                waited = time.monotonic() - start
                limit = WORKER_START_SECONDS if self._starting else self.config.queue_timeout
                if waited >= limit:
                    raise RateLimited(
                        "Every renderer is busy; try again in a moment.", retry_after=1
                    )
                self._cond.wait(min(limit - waited, 0.25))
        for _ in range(spares):
            threading.Thread(target=self._replace, name="render-worker-start", daemon=True).start()
        return self._start_worker()

    def _fork(self) -> _Worker:
        with self._zygote_lock:
            if self._zygote is None or not self._zygote.alive():
                if self._zygote is not None:
                    self._zygote.close()
                self._zygote = _Zygote(self.config)
            zygote = self._zygote
        return _Worker(*zygote.fork())

    def _start_worker(self) -> _Worker:
        """Start a worker for a slot already counted in `_count` and `_starting`."""
        try:
            try:
                worker = self._fork()
            except WorkerFailed:  # the zygote died since: start a new one, once
                with self._zygote_lock:
                    if self._zygote is not None:
                        self._zygote.close()
                        self._zygote = None
                worker = self._fork()
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

    def _discard(self, worker: _Worker, *, failed: bool = True) -> None:
        """Kill `worker` and start its replacement in the background (`failed`: it was past
        its budget or dead, counted in `replaced`; else only demoted)."""
        worker.kill()
        with self._cond:
            if failed:
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
        with self._zygote_lock:
            if self._zygote is not None:
                self._zygote.close()
                self._zygote = None

    # ------------------------------------------------------------------ requests
    @contextlib.contextmanager
    def _account_turn(self, account: str | None) -> Iterator[None]:
        """Wait (up to the queue timeout) until `account` has fewer than `per_account`
        renders under way: one account never holds more than its share of the workers."""
        limit = self.config.per_account
        if not account or limit <= 0:
            yield
            return
        start = time.monotonic()
        with self._cond:
            while self._accounts.get(account, 0) >= limit:
                waited = time.monotonic() - start
                if waited >= self.config.queue_timeout:
                    raise RateLimited(
                        "Your other renders are still running; try again in a moment.",
                        retry_after=1,
                    )
                self._cond.wait(min(self.config.queue_timeout - waited, 0.25))
            self._accounts[account] = self._accounts.get(account, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                left = self._accounts.pop(account) - 1
                if left:
                    self._accounts[account] = left
                self._cond.notify_all()

    def run(self, request: dict[str, Any], deadline: Deadline | None = None) -> dict[str, Any]:
        """Send `request` to a worker; its answer, or ValidationFailed when past the budget
        (this render's own, or what is left of `deadline`'s shared by several renders).
        Renders for one account (`acting_for`) take turns."""
        with self._account_turn(render_account.get()):
            return self._run(request, deadline)

    def _run(self, request: dict[str, Any], deadline: Deadline | None) -> dict[str, Any]:
        payload = json.dumps(request, default=str).encode()
        worker = self._acquire()
        timeout = self.config.timeout if deadline is None else deadline.remaining()
        try:
            if timeout <= 0:
                raise TimeoutError
            answer = worker.request(payload, timeout, self.config.full_priority, self.config.nice)
        except BaseException as exc:
            self._fail(worker, exc, timeout, deadline)
            raise
        return self._done(worker, answer)

    def _done(self, worker: _Worker, answer: bytes) -> dict[str, Any]:
        if worker.demoted and not worker.restore():
            self._discard(worker, failed=False)
        else:
            self._release(worker)
        return json.loads(answer)

    def _fail(
        self, worker: _Worker, exc: BaseException, timeout: float, deadline: Deadline | None
    ) -> None:
        """Dispose of `worker` after `exc`; raise what the caller sees (ValidationFailed for
        a render past its budget or one that stopped its worker; else the caller re-raises)."""
        if isinstance(exc, TimeoutError):
            if timeout > 0:
                self._discard(worker)
            else:
                self._release(worker)
            what = "The template" if deadline is None else deadline.what
            budget = self.config.timeout if deadline is None else deadline.seconds
            message = (
                f"{what} took longer than {budget:g} s to render "
                "(the time limit, validators included); simplify it or its validators."
            )
            raise ValidationFailed(message, errors=[{"loc": ["content"], "msg": message}]) from None
        self._discard(worker)
        if isinstance(exc, WorkerFailed):
            message = (
                "The template stopped its renderer (it may need more memory than a render "
                "may use); simplify it."
            )
            raise ValidationFailed(message, errors=[{"loc": ["content"], "msg": message}]) from None

    # ------------------------------------------------------------------ async fast path
    def _try_start(self, account: str | None) -> _Worker | None:
        """An idle worker and `account`'s turn at once, without waiting; None if either
        would need a wait (the caller then waits in a thread, as `run` does)."""
        limit = self.config.per_account
        with self._cond:
            if not self._idle or self._closed:
                return None
            if account and limit > 0:
                if self._accounts.get(account, 0) >= limit:
                    return None
                self._accounts[account] = self._accounts.get(account, 0) + 1
            return self._idle.pop()

    def _end_turn(self, account: str | None) -> None:
        if not account or self.config.per_account <= 0:
            return
        with self._cond:
            left = self._accounts.pop(account) - 1
            if left:
                self._accounts[account] = left
            self._cond.notify_all()

    async def run_async(self, request: dict[str, Any]) -> dict[str, Any]:
        """`run` for an event loop. When a worker is idle and the account's turn is free,
        the request goes to it from the loop itself (non-blocking socket): no hop to a
        thread and back, which costs milliseconds each way on a loaded machine. Otherwise
        it waits for both in a thread, as before. Cancelling the caller (a superseded
        render) does not stop the render: the worker finishes and goes back to the pool."""
        account = render_account.get()
        worker = self._try_start(account)
        if worker is None:
            loop = asyncio.get_running_loop()
            call = functools.partial(self.run, request)
            return await loop.run_in_executor(_executor, contextvars.copy_context().run, call)
        task = asyncio.ensure_future(self._run_on_loop(worker, request, account))
        return await asyncio.shield(task)

    async def _run_on_loop(
        self, worker: _Worker, request: dict[str, Any], account: str | None
    ) -> dict[str, Any]:
        try:
            timeout = self.config.timeout
            try:
                payload = json.dumps(request, default=str).encode()
                answer = await worker.request_async(
                    payload, timeout, self.config.full_priority, self.config.nice
                )
            except BaseException as exc:
                self._fail(worker, exc, timeout, None)
                raise
            return self._done(worker, answer)
        finally:
            self._end_turn(account)


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
        full_priority=settings.render_full_priority_ms / 1000,
        queue_timeout=settings.render_queue_seconds,
        per_account=settings.render_per_account,
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


def shared_deadline(what: str) -> Deadline:
    """One render budget (RENDER_TIMEOUT_SECONDS) for several renders, e.g. a whole project:
    pass it as `deadline=` to each so their total time is bounded, not just each one's."""
    return Deadline(what, pool().config.timeout)


def render_and_validate(
    content: str,
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    dialect: str = "jinja2",
    *,
    deadline: Deadline | None = None,
) -> tuple[str, list[ValidatorResult]]:
    """Render `content` with `values` checked against `spec`, then run the validators on the
    text, in a worker process under the render budget (or what is left of `deadline`).
    Blocks the calling thread.

    Raises ValidationFailed naming the variable, the line or the limit the template hit
    (time included), or RateLimited when every worker stays busy.
    """
    answer = pool().run(_render_request(content, spec, validator_list, values, dialect), deadline)
    return _render_answer(answer)


def _render_request(
    content: str,
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    dialect: str,
) -> dict[str, Any]:
    return {
        "content": content,
        "spec": spec,
        "validators": _validator_payload(validator_list),
        "values": values,
        # JSON has no falsy text: the worker makes these UnsetText again
        "unset_text": [name for name, v in values.items() if isinstance(v, UnsetText)],
        "dialect": dialect,
    }


def _render_answer(answer: dict[str, Any]) -> tuple[str, list[ValidatorResult]]:
    if not answer["ok"]:
        raise ValidationFailed(answer["message"], errors=answer.get("errors") or [])
    results = [ValidatorResult(**r) for r in answer["results"]]
    return answer["text"], results


def render_chat(
    messages: list[dict[str, Any]],
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    placeholders: dict[str, Any] | None = None,
    dialect: str = "jinja2",
    *,
    deadline: Deadline | None = None,
) -> tuple[str, list[dict[str, str]], list[ValidatorResult]]:
    """A chat prompt's `render_and_validate`: (the conversation as text, the rendered
    messages, the validator results), under the same budget. Blocks the calling thread."""
    answer = pool().run(
        {
            "type": "chat",
            "messages": messages,
            "spec": spec,
            "validators": _validator_payload(validator_list),
            "values": values,
            "unset_text": [name for name, v in values.items() if isinstance(v, UnsetText)],
            "placeholders": placeholders,
            "dialect": dialect,
        },
        deadline,
    )
    if not answer["ok"]:
        raise ValidationFailed(answer["message"], errors=answer.get("errors") or [])
    results = [ValidatorResult(**r) for r in answer["results"]]
    return answer["text"], answer["messages"], results


async def render_chat_async(
    messages: list[dict[str, Any]],
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    placeholders: dict[str, Any] | None = None,
    dialect: str = "jinja2",
) -> tuple[str, list[dict[str, str]], list[ValidatorResult]]:
    """`render_chat` for async code: the event loop keeps serving while it runs."""
    loop = asyncio.get_running_loop()
    call = functools.partial(
        render_chat, messages, spec, validator_list, values, placeholders, dialect
    )
    return await loop.run_in_executor(_executor, contextvars.copy_context().run, call)


def _validator_payload(validator_list: list[Any]) -> list[dict[str, Any]]:
    payload = []
    for validator in validator_list:
        type_, config, vid = _as_pair(validator)
        payload.append({"type": type_, "config": config, "id": vid})
    return payload


async def preview_async(
    content: str,
    spec: dict[str, Any],
    validator_list: list[dict[str, Any]],
    dialect: str,
    invalid: dict[str, str],
) -> dict[str, Any]:
    """The editor's live preview (`render_worker.preview_here`) in a worker, under the render
    budget: {ok, text, stats, results, unset, variables, line} or {ok: False, message, ...}.
    Raises ServiceError when the budget runs out or every worker stays busy."""
    answer = await pool().run_async(
        {
            "type": "preview",
            "content": content,
            "spec": spec,
            "validators": validator_list,
            "dialect": dialect,
            "invalid": invalid,
        }
    )
    return answer


async def render_and_validate_async(
    content: str,
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    dialect: str = "jinja2",
) -> tuple[str, list[ValidatorResult]]:
    """`render_and_validate` for async code: the event loop keeps serving while it runs."""
    answer = await pool().run_async(_render_request(content, spec, validator_list, values, dialect))
    return _render_answer(answer)
