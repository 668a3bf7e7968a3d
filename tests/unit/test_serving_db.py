"""api/serving_db.py: the batched PostgreSQL reader behind cache misses (PostgreSQL only)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import text

from promptrepo.services import serving_db
from tests.support.run_async import run_async

PLUS_ONE = "SELECT %(n)s::int + 1"
ONE_OVER = "SELECT 1 / %(n)s::int"


def test_concurrent_reads_go_in_batches_and_each_caller_gets_its_own_row(
    pg_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    pipelined = serving_db.BatchedReader._pipelined

    async def counting(self, reads):
        batches.append(len(reads))
        return await pipelined(self, reads)

    monkeypatch.setattr(serving_db.BatchedReader, "_pipelined", counting)

    async def main():
        reader = serving_db.BatchedReader(serving_db.conninfo(pg_engine))
        try:
            return await asyncio.gather(*(reader.fetchone(PLUS_ONE, {"n": n}) for n in range(150)))
        finally:
            await reader.close()

    rows = run_async(main())
    assert [row[0] for row in rows] == [n + 1 for n in range(150)]
    assert sum(batches) == 150
    assert len(batches) < 10 and max(batches) == serving_db.MAX_BATCH


def test_a_failing_read_fails_alone(pg_engine) -> None:
    async def main():
        reader = serving_db.BatchedReader(serving_db.conninfo(pg_engine))
        try:
            return await asyncio.gather(
                reader.fetchone(ONE_OVER, {"n": 2}),
                reader.fetchone(ONE_OVER, {"n": 0}),
                reader.fetchone(ONE_OVER, {"n": 1}),
                return_exceptions=True,
            )
        finally:
            await reader.close()

    first, failed, last = run_async(main())
    assert first == (0,) and last == (1,)
    assert isinstance(failed, psycopg.errors.DivisionByZero)


def test_a_connection_the_server_dropped_is_replaced(pg_engine) -> None:
    async def main():
        reader = serving_db.BatchedReader(serving_db.conninfo(pg_engine))
        try:
            pid = (await reader.fetchone("SELECT pg_backend_pid()", {}))[0]
            with pg_engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                admin.commit()
            await asyncio.sleep(0.1)
            row = await reader.fetchone(PLUS_ONE, {"n": 41})
            new_pid = (await reader.fetchone("SELECT pg_backend_pid()", {}))[0]
            return row, pid, new_pid
        finally:
            await reader.close()

    row, pid, new_pid = run_async(main())
    assert row == (42,) and new_pid != pid


def test_a_caller_that_goes_away_does_not_disturb_the_others(pg_engine) -> None:
    async def main():
        reader = serving_db.BatchedReader(serving_db.conninfo(pg_engine))
        try:
            slow = asyncio.ensure_future(reader.fetchone("SELECT pg_sleep(0.2), 1", {}))
            await asyncio.sleep(0.01)
            waiting = [asyncio.ensure_future(reader.fetchone(PLUS_ONE, {"n": n})) for n in range(5)]
            waiting[2].cancel()
            rows = await asyncio.gather(slow, *waiting, return_exceptions=True)
            return rows, await reader.fetchone(PLUS_ONE, {"n": 9})
        finally:
            await reader.close()

    rows, after = run_async(main())
    assert rows[0] == ("", 1)
    assert isinstance(rows[3], asyncio.CancelledError)
    assert [rows[i][0] for i in (1, 2, 4, 5)] == [1, 2, 4, 5]
    assert after == (10,)
