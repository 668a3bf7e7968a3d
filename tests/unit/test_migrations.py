"""Migrations build the whole schema on both databases, and agree with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from promptrepo.db import described_by_models

SEED_TABLES = {"profiles", "projects", "segments", "prompts", "validators", "versions", "billing"}


def test_upgrade_to_head_creates_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert tables >= SEED_TABLES
    assert {
        "credentials",
        "identities",
        "auth_sessions",
        "api_keys",
        "version_labels",
        "stripe_events",
        "audit_log",
    } <= tables


# The full-text index is PostgreSQL's (SQLite searches with FTS5): on SQLite, alembic warns
# that it cannot compare an expression index. The PostgreSQL run compares it.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "render_as_batch": conn.dialect.name == "sqlite",
                "include_name": described_by_models,
            },
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []
