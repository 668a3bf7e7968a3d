"""The one engine and session factory, plus migrations.

Services receive a `Session` as an argument; Reflex states and API routes open one with
`session_scope()` (commit on success, rollback on error).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from promptrepo.settings import ROOT_DIR, settings


def build_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine for `url`: pooled on PostgreSQL, foreign keys on for SQLite."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if sa_url.drivername == "postgresql":
        url = str(sa_url.set(drivername="postgresql+psycopg").render_as_string(False))
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800
    )


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return build_engine(settings.database_url, pool_size=settings.db_pool_size)


_AFTER_COMMIT = "promptrepo_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's current transaction has committed (not on rollback).

    For side effects that must not run before the data is visible to other requests, such as
    dropping cache entries: a reader that raced the change cannot re-cache the old state.
    """
    if not event.contains(session, "after_commit", _run_after_commit):
        event.listen(session, "after_commit", _run_after_commit)
        event.listen(session, "after_soft_rollback", _forget_after_commit)
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:  # the change is committed; a failed side effect must not undo that
            logging.getLogger(__name__).exception("after-commit callback failed")


def _forget_after_commit(session: Session, _previous_transaction) -> None:
    if not session.in_transaction():  # the whole transaction, not a savepoint, rolled back
        session.info.pop(_AFTER_COMMIT, None)


RLS_ROLE = "promptrepo_user"


def act_as(session: Session, user_id: uuid.UUID | None) -> None:
    """On PostgreSQL, put the current transaction under row-level security for `user_id`.

    The policies (migration 0002) then let it see only that user's rows and public projects.
    Lasts until the transaction ends; a no-op on SQLite.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(f"SET LOCAL ROLE {RLS_ROLE}"))
    session.execute(
        text("SELECT set_config('app.user_id', :uid, true)"), {"uid": str(user_id or "")}
    )


@contextmanager
def session_scope(*, acting_as: uuid.UUID | None = None) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back otherwise.

    With `acting_as`, PostgreSQL's row-level security also confines it to what that user
    may see (defence in depth behind the checks in services/access.py).
    """
    with Session(get_engine(), expire_on_commit=False) as session:
        if acting_as is not None:
            act_as(session, acting_as)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str | None = None):
    from alembic.config import Config

    config = Config(str(ROOT_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT_DIR / "alembic"))
    config.attributes["database_url"] = url or settings.database_url
    return config


def migrate(url: str | None = None) -> None:
    """Upgrade the database at `url` (default: settings) to the newest migration."""
    import logging

    from alembic import command

    logging.getLogger("alembic").setLevel(logging.WARNING)
    command.upgrade(alembic_config(url), "head")
