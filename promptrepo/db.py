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

from promptrepo.settings import APP_ROLE, ROOT_DIR, SYSTEM_ROLE, derived_role_url, settings


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
    """The app's engine: on PostgreSQL it logs in as the row-level-security role (APP_ROLE)."""
    return build_engine(settings.role_database_url("app"), pool_size=settings.db_pool_size)


def get_system_engine() -> Engine:
    """The engine of the named system paths (SYSTEM_ROLE); the app's own engine on SQLite.

    SYSTEM_DATABASE_URL if set, else the app engine's server and database as SYSTEM_ROLE.
    """
    app_url = get_engine().url
    if app_url.get_backend_name() != "postgresql":
        return get_engine()
    url = settings.system_database_url or derived_role_url(
        app_url.render_as_string(hide_password=False), SYSTEM_ROLE, settings.db_system_password
    )
    return _engine_for(url)


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return build_engine(url, pool_size=max(2, settings.db_pool_size // 2))


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


RLS_ROLE = APP_ROLE
_ACTING_AS = "promptrepo_acting_as"

# The system paths: the only code that may read or write across users, through
# `system_scope(purpose)` as SYSTEM_ROLE. Each is listed in ARCHITECTURE.md with why (a test
# checks); everything else runs as APP_ROLE under row-level security for the acting user.
SYSTEM_PATHS: dict[str, str] = {
    "sign-in": "sign-in, sign-up and sign-out: finds the account of an e-mail address (or a "
    "token) before anyone is signed in, and creates the profile, credentials and billing row",
    "password-reset": "finds the account of an e-mail address or a reset token's owner, "
    "sets the password and ends the account's sessions and keys",
    "token": "resolves an API key, a session token or a Supabase token to its user and plan "
    "(api/gate.py)",
    "serving": "the prompt-serving read (api/serving.py), which applies the access rule in "
    "its own query and runs outside any transaction",
    "stripe-webhook": "stores a Stripe event and applies it to the billing row of its customer",
    "billing-checkout": "stores a user's Stripe customer id and applies a checkout's outcome "
    "(users may read their billing row but never write it)",
    "admin": "the admin section lists and changes every account (the caller is re-checked "
    "as an admin first)",
    "cli": "operator commands (create an admin, suspend a user)",
    "webhooks": "the delivery worker claims due deliveries of every project and records each "
    "attempt (services/webhooks.py)",
}


def act_as(session: Session, user_id: uuid.UUID | None, *, applied: bool = False) -> None:
    """On PostgreSQL, put the session under row-level security for `user_id` (None: nobody).

    The policies (migration 0005) then let it see only that user's rows and public projects.
    The app's own connections log in as APP_ROLE already; a connection that logged in as
    someone else (the owner, in tests and benchmarks) switches to it for the transaction.
    The acting user is set per transaction (`set_config(..., true)`) and set again at the
    start of every later transaction of this session. A no-op on SQLite. `applied`: the
    current transaction has set it already (sessions.resolve_session_and_act_as).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.info[_ACTING_AS] = str(user_id or "")
    if not event.contains(session, "after_begin", _apply_acting_as):
        event.listen(session, "after_begin", _apply_acting_as)
    if applied:
        return
    if session.in_transaction():
        _apply_acting_as(session, None, session.connection())
    else:
        session.connection()  # begins, which applies it


_SET_ACTING_USER = text("SELECT set_config('app.user_id', :uid, true)")  # built once


def _apply_acting_as(session: Session, _transaction, connection) -> None:
    user_id = session.info.get(_ACTING_AS)
    if user_id is None:
        return
    if connection.engine.url.username != APP_ROLE:
        connection.exec_driver_sql(f"SET LOCAL ROLE {APP_ROLE}")
    connection.execute(_SET_ACTING_USER, {"uid": user_id})


@contextmanager
def session_scope(*, acting_as: uuid.UUID | None = None) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back otherwise.

    On PostgreSQL it runs as APP_ROLE under row-level security: with `acting_as` it sees what
    that user may see (defence in depth behind the checks in services/access.py); without,
    only what anyone may see (public projects), until `act_as` names a user.
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


@contextmanager
def system_scope(purpose: str) -> Iterator[Session]:
    """A session for one of the named system paths (SYSTEM_PATHS), which must cross users.

    On PostgreSQL it logs in as SYSTEM_ROLE, which the policies let read and write every row;
    on SQLite it is an ordinary session. Commits when the block succeeds.
    """
    if purpose not in SYSTEM_PATHS:
        raise ValueError(f"unknown system path {purpose!r}: add it to db.SYSTEM_PATHS")
    with Session(get_system_engine(), expire_on_commit=False) as session:
        session.info["system_path"] = purpose
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# Schema objects that no model describes: SQLite's full-text table for search (migration 0017)
# and the shadow tables FTS5 keeps for it. Autogenerate and the models-vs-migrations test
# leave them alone.
UNMODELLED_TABLE_PREFIX = "prompts_fts"


def described_by_models(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's `include_name`: False for the tables only migrations know about."""
    return not (type_ == "table" and (name or "").startswith(UNMODELLED_TABLE_PREFIX))


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
    set_role_passwords(url or settings.database_url)


def set_role_passwords(owner_url: str) -> None:
    """Give the app's two login roles the passwords in settings (PostgreSQL; idempotent).

    Run by `migrate()` as the owner, so a changed DB_APP_PASSWORD / DB_SYSTEM_PASSWORD (or the
    password inside APP_DATABASE_URL / SYSTEM_DATABASE_URL) applies at the next deploy. Without
    a configured password the role keeps whatever it has (none: for trust or peer auth).
    """
    if make_url(owner_url).get_backend_name() != "postgresql":
        return
    engine = build_engine(owner_url, pool_size=1)
    try:
        with engine.begin() as conn:
            for role, explicit, password in (
                (APP_ROLE, settings.app_database_url, settings.db_app_password),
                (SYSTEM_ROLE, settings.system_database_url, settings.db_system_password),
            ):
                url = make_url(explicit or derived_role_url(owner_url, role, password))
                if url.password:
                    password = conn.exec_driver_sql(
                        "SELECT quote_literal(%s)", (str(url.password),)
                    ).scalar_one()
                    conn.exec_driver_sql(f'ALTER ROLE "{url.username}" PASSWORD {password}')
    finally:
        engine.dispose()
