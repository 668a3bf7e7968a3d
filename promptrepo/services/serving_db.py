"""The serving read on PostgreSQL, straight from the event loop, in batches.

A cache miss of `resolve`/`render` is one SELECT. Run through a SQLAlchemy session in the
thread pool it costs far more CPU than the query itself (session, pool checkout and ping,
thread hand-off, GIL contention with the loop). Here each event loop has one autocommit
psycopg connection, and the reads that arrive while a batch is out travel together in the
next one, pipelined (psycopg's pipeline mode: all statements sent at once, one round trip),
each statement prepared on the connection.

Why batches rather than a pool of connections: at 32 concurrent misses on two cores, every
extra PostgreSQL backend is one more process competing for the CPU, and a request whose
backend or connection is descheduled waits behind it (measured: a p99 of 90-170 ms with 4
connections per worker). One connection per worker, busy only for one round trip per batch,
keeps the wait to about one round trip, however many misses arrive together.

The statement is the one `serving.read_published` runs (compiled from the same SQLAlchemy
query), so both paths answer alike; tests/api/test_serving.py checks them against each other.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import psycopg
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

# A batch larger than this waits for the next round trip (bounds one pipeline's size).
MAX_BATCH = 64


def compile_for_psycopg(statement, params: dict[str, Any]) -> str:
    """The SQL text of a SQLAlchemy statement with `%(name)s` parameters, as psycopg takes it.

    Literal parameters (such as `aggregate_strings`' separator) are rendered in, so the text
    does not depend on `params` as long as the statement has no expanding `IN` parameters."""
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())
    return compiled.construct_expanded_state(params).statement


def conninfo(engine: Engine) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL engine."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


_Read = tuple[str, dict[str, Any], asyncio.Future]


class BatchedReader:
    """One connection for one event loop; reads queue up and go out together."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: psycopg.AsyncConnection | None = None
        self._pending: list[_Read] = []
        self._sender: asyncio.Task | None = None

    async def fetchone(self, sql: str, params: dict[str, Any]) -> tuple | None:
        """The first row of `sql` run with `params` (or None)."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((sql, params, future))
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_batches())
        return await future

    async def _send_batches(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                batch = [read for read in batch if not read[2].done()]  # drop cancelled callers
                if batch:
                    await self._run(batch)
        finally:
            self._sender = None

    async def _run(self, batch: list[_Read]) -> None:
        try:
            rows = await self._pipelined([(sql, params) for sql, params, _ in batch])
        except psycopg.Error:
            # One bad statement aborts the whole pipeline: run each alone, so each caller
            # gets its own answer or its own error.
            for sql, params, future in batch:
                try:
                    row = (await self._pipelined([(sql, params)]))[0]
                except Exception as exc:
                    _settle(future, exception=exc)
                else:
                    _settle(future, row)
            return
        except BaseException:  # cancelled (the loop is closing): so are the callers
            for _, _, future in batch:
                future.cancel()
            raise
        for (_, _, future), row in zip(batch, rows, strict=True):
            _settle(future, row)

    async def _pipelined(self, reads: list[tuple[str, dict[str, Any]]]) -> list[tuple | None]:
        """Run the reads in one round trip; a connection the server dropped is replaced once."""
        for attempt in (1, 2):
            conn = await self._connection()
            try:
                if len(reads) == 1:
                    sql, params = reads[0]
                    cursor = await conn.execute(sql, params, prepare=True)
                    return [await cursor.fetchone()]
                async with conn.pipeline():
                    cursors = [
                        await conn.cursor().execute(sql, params, prepare=True)
                        for sql, params in reads
                    ]
                return [await cursor.fetchone() for cursor in cursors]
            except psycopg.OperationalError:
                if not conn.broken and not conn.closed:
                    raise  # the server answered with an error: not a lost connection
                self._conn = None
                if attempt == 2:
                    raise
            except asyncio.CancelledError:  # mid-round-trip: the connection's state is unknown
                self._conn = None
                conn.pgconn.finish()
                raise
        raise AssertionError("unreachable")

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        return self._conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()


def _settle(future: asyncio.Future, result: Any = None, *, exception: BaseException | None = None):
    if future.done():  # the caller went away (cancelled)
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)


_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reader_for(engine: Engine) -> BatchedReader:
    """This event loop's reader of `engine`'s database."""
    loop = asyncio.get_running_loop()
    dsn = conninfo(engine)
    reader = _by_loop.get(loop)
    if reader is None or reader.dsn != dsn:
        if reader is not None:  # the database changed (tests): close the old connection
            loop.create_task(reader.close())
        reader = _by_loop[loop] = BatchedReader(dsn)
    return reader


async def close_for_this_loop() -> None:
    reader = _by_loop.pop(asyncio.get_running_loop(), None)
    if reader is not None:
        await reader.close()
