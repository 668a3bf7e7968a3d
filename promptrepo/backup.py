"""Back up the database to a file and restore such a file into a fresh database.

`make backup` (`python -m promptrepo.cli backup`) and `python -m promptrepo.cli restore FILE`.

PostgreSQL: `pg_dump --format=custom` (schema, data, row-level-security policies and grants,
consistent as of one snapshot while the app keeps running), restored with `pg_restore` in one
transaction into an empty database. The role the policies name (`promptrepo_user`) lives in
the cluster, not in the dump, so the restore creates it when missing and grants it to the
restoring user, as migration 0002 does. The restored database is then migrated to this
code's newest revision (a dump from an older release is brought up to date).

SQLite: SQLite's online backup API into a copy; restoring copies the file into place.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from promptrepo.db import build_engine, migrate

RLS_ROLE = "promptrepo_user"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def _libpq_url(url: str) -> str:
    """The URL pg_dump/pg_restore understand (no `+psycopg` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def backup(url: str, directory: Path) -> Path:
    """Write a backup of the database at `url` into `directory`; return the file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        target = directory / f"promptrepo-{_stamp()}.dump"
        result = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), _libpq_url(url)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return target
    if parsed.get_backend_name() == "sqlite":
        source = Path(parsed.database or "")
        if not source.is_file():
            raise BackupError(f"No SQLite database at {source}.")
        target = directory / f"promptrepo-{_stamp()}.sqlite3"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dest:
            src.backup(dest)  # consistent even while the app writes
        return target
    raise BackupError(f"Cannot back up a {parsed.get_backend_name()} database.")


def restore(dump: Path, url: str) -> None:
    """Restore the backup file `dump` into the empty database at `url`, then migrate it."""
    if not dump.is_file():
        raise BackupError(f"No backup file at {dump}.")
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        _restore_postgresql(dump, url)
    elif parsed.get_backend_name() == "sqlite":
        target = Path(parsed.database or "")
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(f"{target} exists: restore into a new file (nothing was changed).")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dump, target)
    else:
        raise BackupError(f"Cannot restore into a {parsed.get_backend_name()} database.")
    migrate(url)


def _restore_postgresql(dump: Path, url: str) -> None:
    engine = build_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
            if tables:
                raise BackupError(
                    "The target database is not empty: restore into a new database "
                    "(createdb …), nothing was changed."
                )
            conn.execute(
                text(
                    f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                    f"'{RLS_ROLE}') THEN CREATE ROLE {RLS_ROLE} NOLOGIN; END IF; END $$"
                )
            )
            conn.execute(text(f"GRANT {RLS_ROLE} TO CURRENT_USER"))
    finally:
        engine.dispose()
    result = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction"]
        + ["--dbname", _libpq_url(url), str(dump)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was restored): {result.stderr.strip()}")
