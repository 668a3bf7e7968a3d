"""Alembic environment: migrates the database named by settings (or by the caller)."""

from sqlmodel import SQLModel

import promptrepo.models  # noqa: F401  (registers every table)
from alembic import context
from promptrepo.db import build_engine, described_by_models
from promptrepo.settings import settings

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_, obj, autogen_context):
    """Write our custom column types as plain SQLAlchemy types in migrations."""
    from promptrepo.models.common import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    url = config.attributes.get("database_url") or settings.database_url
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = build_engine(url, pool_size=1)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    """Run the migrations on `connection`.

    On SQLite, with foreign keys off meanwhile: batch mode changes a table by copying it and
    dropping the old one, and with foreign keys on, that drop deletes every row referring to
    it through ON DELETE CASCADE (changing `prompts` emptied `versions`). SQLite's own check
    (`foreign_key_check`) then refuses a migration that left a dangling reference.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # outside a transaction: SQLite ignores this pragma inside one
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # so that the migrations' own transaction begins (and commits)
    try:
        _migrate(connection)
        if sqlite:
            dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if dangling:
                raise RuntimeError(f"The migration left dangling references: {dangling[:5]}")
    finally:
        if sqlite:
            connection.rollback()  # the check's read, if any
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        include_name=described_by_models,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
