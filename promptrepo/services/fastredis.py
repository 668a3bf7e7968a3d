"""A minimal pipelined Redis client for the API's hot path (one script call per request).

Why not redis-py here: measured in process, one `evalsha` through redis-py's asyncio client
costs ~250 µs of CPU (connection pool, retry wrappers, parser layers), more than the whole
trivial route. This client keeps one connection per event loop, writes each command at once
and matches replies to waiters in order (so concurrent requests share the socket, pipelined),
and parses RESP2 itself: a round trip costs a few tens of µs.

It speaks only what the gate needs (EVALSHA, SCRIPT LOAD, SELECT, AUTH) and only plain
`redis://` URLs; for anything else `for_url` returns None and callers use redis-py.

A Redis that goes away fails requests fast instead of hanging them: connecting times out
after TIMEOUT_SECONDS, and a reply that has not come within TIMEOUT_SECONDS drops the
connection (every waiter on it gets ConnectionError; the next call reconnects).
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections import deque
from typing import Any
from urllib.parse import unquote, urlparse

TIMEOUT_SECONDS = 0.5


class ReplyError(Exception):
    """An error reply from Redis (e.g. NOSCRIPT)."""


class _Incomplete(Exception):
    pass


def encode(*args: Any) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def parse(buf: bytearray, pos: int) -> tuple[Any, int]:
    """One RESP2 value from `buf` at `pos`: (value, next position); _Incomplete if cut short."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind = buf[pos]
    line = bytes(buf[pos + 1 : end])
    pos = end + 2
    if kind == 36:  # $ bulk string
        size = int(line)
        if size < 0:
            return None, pos
        if len(buf) < pos + size + 2:
            raise _Incomplete
        return bytes(buf[pos : pos + size]).decode(), pos + size + 2
    if kind == 42:  # * array
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item, pos = parse(buf, pos)
            items.append(item)
        return items, pos
    if kind == 58:  # : integer
        return int(line), pos
    if kind == 43:  # + simple string
        return line.decode(), pos
    if kind == 45:  # - error
        return ReplyError(line.decode()), pos
    raise ValueError(f"unexpected RESP type {kind!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiters: deque[asyncio.Future] = deque()
        self.lost = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        pos = 0
        while self.waiters:
            try:
                value, pos = parse(self.buffer, pos)
            except _Incomplete:
                break
            waiter = self.waiters.popleft()
            if not waiter.done():  # a cancelled request still consumes its reply
                if isinstance(value, ReplyError):
                    waiter.set_exception(value)
                else:
                    waiter.set_result(value)
        if pos:
            del self.buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        error = ConnectionError(f"Redis connection lost: {exc}")
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(error)


def _expire(protocol: _Protocol, waiter: asyncio.Future) -> None:
    """No reply in time: this connection is stuck, so drop it (its waiters all fail)."""
    if not waiter.done() and not protocol.lost:
        protocol.transport.abort()


class FastRedis:
    """One pipelined connection, bound to the event loop that first used it."""

    def __init__(self, host: str, port: int, db: int, password: str | None, username: str | None):
        self.host, self.port, self.db = host, port, db
        self.password, self.username = password, username
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None
        self._scripts: dict[str, str] = {}  # sha -> source

    @classmethod
    def for_url(cls, url: str | None) -> FastRedis | None:
        if not url:
            return None
        parsed = urlparse(url)
        if parsed.scheme != "redis" or parsed.query:
            return None
        db = int(parsed.path.lstrip("/") or 0)
        return cls(
            parsed.hostname or "127.0.0.1",
            parsed.port or 6379,
            db,
            unquote(parsed.password) if parsed.password else None,
            unquote(parsed.username) if parsed.username else None,
        )

    async def _connection(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and not protocol.lost:
            return protocol
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._protocol is not None and not self._protocol.lost:
                return self._protocol
            loop = asyncio.get_running_loop()
            _, protocol = await asyncio.wait_for(
                loop.create_connection(_Protocol, self.host, self.port), TIMEOUT_SECONDS
            )
            self._protocol = protocol
            if self.password:
                auth = (self.username, self.password) if self.username else (self.password,)
                await self._send(protocol, "AUTH", *auth)
            if self.db:
                await self._send(protocol, "SELECT", self.db)
            return protocol

    @staticmethod
    def _send(protocol: _Protocol, *args: Any) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        protocol.waiters.append(waiter)
        protocol.transport.write(encode(*args))
        # A timer per command is far cheaper than asyncio.wait_for (no task); when the reply
        # came in time it finds the waiter done and does nothing.
        loop.call_later(TIMEOUT_SECONDS, _expire, protocol, waiter)
        return waiter

    async def execute(self, *args: Any) -> Any:
        protocol = await self._connection()
        return await self._send(protocol, *args)

    def register(self, source: str) -> str:
        sha = hashlib.sha1(source.encode()).hexdigest()
        self._scripts[sha] = source
        return sha

    async def evalsha(self, sha: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self.execute("EVALSHA", sha, len(keys), *keys, *args)
        except ReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            await self.execute("SCRIPT", "LOAD", self._scripts[sha])
            return await self.execute("EVALSHA", sha, len(keys), *keys, *args)

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None


_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def for_this_loop(url: str | None) -> FastRedis | None:
    """This event loop's pipelined connection to `url` (None for URLs it does not speak)."""
    loop = asyncio.get_running_loop()
    entry = _by_loop.get(loop)
    if entry is None or entry[0] != url:
        entry = (url, FastRedis.for_url(url))
        _by_loop[loop] = entry
    return entry[1]
