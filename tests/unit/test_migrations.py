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


def test_a_migration_that_copies_a_table_on_sqlite_keeps_every_row_and_trigger(
    tmp_path,
) -> None:
    """SQLite's batch mode copies `prompts` and drops the old table (migration 0022): with
    foreign keys on during the migration, that drop deleted every version through ON DELETE
    CASCADE, and the copy lost the search triggers. Down past 0022 and up again, with data."""
    from sqlmodel import Session, func, select

    from alembic import command
    from promptrepo.db import alembic_config, build_engine, migrate
    from promptrepo.models import Prompt, Version
    from promptrepo.services import search, versions
    from tests.factories import make_user
    from tests.prompt_factories import make_prompt

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url)
    engine = build_engine(url)
    with Session(engine) as s:
        owner = make_user(s)
        _, prompt = make_prompt(s, owner, content="Greet the walrus")
        versions.create_version(s, owner, prompt.id, commit_message="v1")
        s.commit()
        prompt_id = prompt.id
    command.downgrade(alembic_config(url), "0020")
    command.upgrade(alembic_config(url), "head")
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Version)).one() == 1
        assert s.exec(select(func.count()).select_from(Prompt)).one() == 1
        triggers = s.connection().exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        )
        assert {name for (name,) in triggers} == {
            f"prompts_fts_{t}" for t in ("insert", "update", "delete")
        }
        prompt = s.get(Prompt, prompt_id)
        prompt.content = "Greet the narwhal"
        s.add(prompt)
        s.commit()
        found = search.search_prompts(s, owner, "narwhal").items
        assert [hit.prompt_id for hit in found] == [str(prompt_id)]
    engine.dispose()
