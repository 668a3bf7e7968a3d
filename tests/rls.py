"""Helpers of the PostgreSQL row-level-security tests (tests/unit/test_*_rls.py): a
transaction as one person, and how many rows a raw statement would change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from promptrepo.db import act_as
from promptrepo.services.principal import Principal


@contextmanager
def acting(engine: Engine, principal: Principal | None) -> Iterator[Session]:
    """One transaction under row-level security for `principal` (None: signed out)."""
    with Session(engine, expire_on_commit=False) as session:
        act_as(session, principal.user_id if principal else None)
        yield session
        session.commit()


def changed_rows(session: Session, sql: str, params: dict) -> int:
    """Rows one raw statement changed, in a savepoint rolled back after (0 when refused)."""
    savepoint = session.begin_nested()
    try:
        return session.execute(text(sql), params).rowcount
    except DBAPIError:
        return 0
    finally:
        savepoint.rollback()
