"""Find anything (services/search.py): a user's prompts by name and content, paged in SQL.

Runs on SQLite (FTS5 table kept by triggers, migration 0017) and PostgreSQL (full text, GIN
index from migration 0013) with one contract; on PostgreSQL also as the app's
row-level-security role, the way the dashboard runs it.
"""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promptrepo.db import act_as
from promptrepo.models import Prompt, Segment
from promptrepo.services.errors import NotAuthenticated
from promptrepo.services.search import PG_DOCUMENT, search_prompts, search_terms, snippet
from tests.factories import make_user
from tests.prompt_factories import make_prompt


def _world(session: Session):
    """Alice has two projects; Bob has a public and a private one that match the same words."""
    alice = make_user(session, email="alice@example.com")
    bob = make_user(session, email="bob@example.com")
    support, refund = make_prompt(
        session,
        alice,
        name="Refund reply",
        content="Dear {{ customer }}, your money is on its way.",
        project_name="Support bot",
    )
    _, billing = make_prompt(
        session,
        alice,
        name="Invoice question",
        content="Explain the invoice. If they ask for a refund, say it takes 5 days.",
        project_name="Billing",
    )
    _, unrelated = make_prompt(
        session, alice, name="Greeting", content="Hello there", project_name="Misc"
    )
    make_prompt(
        session, bob, name="Refund public", content="refund", is_public=True, project_name="Pub"
    )
    make_prompt(session, bob, name="Refund secret", content="refund", project_name="Private")
    return alice, bob, support, refund, billing, unrelated


def test_finds_own_prompts_by_name_and_content_and_nothing_of_others(session: Session) -> None:
    alice, bob, support, refund, billing, _ = _world(session)

    result = search_prompts(session, alice, "refund")
    assert result.total == 2
    assert [hit.prompt_id for hit in result.items] == [str(refund.id), str(billing.id)]
    first = result.items[0]
    assert (first.project_id, first.project_name) == (str(support.id), "Support bot")
    assert first.segment_name == "Main"
    assert first.prompt_name == "Refund reply"
    # The snippet shows the content around the match.
    assert "ask for a refund" in result.items[1].snippet

    # Prefixes and several words (all must match, in any order, any case).
    assert [h.prompt_id for h in search_prompts(session, alice, "REFU").items] == [
        str(refund.id),
        str(billing.id),
    ]
    assert [h.prompt_id for h in search_prompts(session, alice, "money refund").items] == [
        str(refund.id)
    ]
    assert search_prompts(session, alice, "refund hello").total == 0
    # Words inside template tags are found too.
    assert [h.prompt_id for h in search_prompts(session, alice, "customer").items] == [
        str(refund.id)
    ]

    # Bob sees only his own two, never Alice's; Alice never sees Bob's (public or private).
    assert {h.prompt_name for h in search_prompts(session, bob, "refund").items} == {
        "Refund public",
        "Refund secret",
    }
    assert search_prompts(session, alice, "secret").total == 0
    assert search_prompts(session, alice, "public").total == 0


def test_queries_without_words_match_nothing_and_sign_in_is_required(session: Session) -> None:
    alice, *_ = _world(session)
    for query in ["", "   ", "%", "_", "' & | ! :*", "{{ }}"]:
        result = search_prompts(session, alice, query)
        assert (result.total, result.items) == (0, []), query
    with pytest.raises(NotAuthenticated):
        search_prompts(session, None, "refund")
    assert search_terms("Refund_reply, REFUND! a:b") == ["refund", "reply", "a", "b"]


def test_a_project_key_searches_its_project_only(session: Session) -> None:
    alice, _, support, refund, _, _ = _world(session)
    scoped = dataclasses.replace(alice, api_key_scope="read", api_key_project_id=support.id)
    assert [h.prompt_id for h in search_prompts(session, scoped, "refund").items] == [
        str(refund.id)
    ]


def test_pages_are_cut_in_sql_without_gaps_or_repeats(session: Session) -> None:
    alice = make_user(session)
    project, first = make_prompt(session, alice, name="Tone 00", content="be kind")
    segment = session.get(Segment, first.segment_id)
    for i in range(1, 23):
        session.add(Prompt(segment_id=segment.id, name=f"Tone {i:02d}", content="be kind", order=i))
    session.commit()

    seen: list[str] = []
    for page in (1, 2, 3):
        result = search_prompts(session, alice, "kind", page=page, per_page=10)
        assert result.total == 23 and result.pages == 3
        seen += [h.prompt_name for h in result.items]
    assert seen == [f"Tone {i:02d}" for i in range(23)]
    assert search_prompts(session, alice, "kind", page=4, per_page=10).items == []


def test_words_match_by_prefix_only_the_same_on_both_databases(session: Session) -> None:
    alice = make_user(session)
    _, prompt = make_prompt(
        session, alice, name="Refund_reply", content="Café naïve customer-support {{user_name}}"
    )
    found = {
        query: search_prompts(session, alice, query).total
        for query in [
            "refund",
            "reply",
            "REPL",
            "fund",
            "cafe",
            "café",
            "naïv",
            "support",
            "customer support",
            "user",
            "name",
            "ser",
        ]
    }
    assert found == {
        "refund": 1, "reply": 1, "REPL": 1,  # "_" separates words, any case
        "fund": 0, "ser": 0,  # the start of a word only, never its middle
        "cafe": 0, "café": 1, "naïv": 1,  # accents are kept, as PostgreSQL's 'simple' does
        "support": 1, "customer support": 1, "user": 1, "name": 1,
    }  # fmt: skip


def test_the_index_follows_every_create_rename_edit_and_delete(session: Session) -> None:
    alice = make_user(session)
    _, prompt = make_prompt(session, alice, name="Alpha", content="first words")
    assert [h.prompt_name for h in search_prompts(session, alice, "first").items] == ["Alpha"]

    prompt.name, prompt.content = "Beta", "second words"
    session.add(prompt)
    session.commit()
    assert search_prompts(session, alice, "alpha").total == 0
    assert search_prompts(session, alice, "first").total == 0
    assert [h.prompt_name for h in search_prompts(session, alice, "beta second").items] == ["Beta"]
    # Saving other columns (variables, order) leaves the prompt found exactly once.
    prompt.variables = {"x": {"type": "string"}}
    session.add(prompt)
    session.commit()
    assert search_prompts(session, alice, "words").total == 1

    session.delete(prompt)
    session.commit()
    assert search_prompts(session, alice, "words").total == 0
    if session.get_bind().dialect.name == "sqlite":
        left = session.execute(sa.text("SELECT count(*) FROM prompts_fts")).scalar_one()
        assert left == 0


def test_ids_in_the_sqlite_index_never_match_a_users_words(session: Session) -> None:
    alice = make_user(session)
    _, prompt = make_prompt(session, alice, name="Plain", content="nothing")
    hex_id = prompt.id.hex
    for query in (hex_id, hex_id[:6]):
        assert search_prompts(session, alice, query).total == 0


def test_snippet_is_one_line_around_the_first_match() -> None:
    text = "x" * 300 + "\nthe refund\n policy" + "y" * 300
    cut = snippet(text, ["refund"], width=60)
    assert cut.startswith("…") and cut.endswith("…")
    assert "the refund policy" in cut and "\n" not in cut
    assert snippet("short", ["absent"]) == "short"


def test_postgresql_searches_through_the_gin_index_under_row_level_security(
    pg_engine: Engine, pg_app_engine: Engine
) -> None:
    from tests.conftest import truncate_all

    truncate_all(pg_engine)
    with Session(pg_engine, expire_on_commit=False) as seed:
        alice, bob, _, refund, billing, _ = _world(seed)

    # As the app runs it: the row-level-security role, acting as Alice.
    with Session(pg_app_engine, expire_on_commit=False) as session:
        act_as(session, alice.user_id)
        assert [h.prompt_id for h in search_prompts(session, alice, "refund").items] == [
            str(refund.id),
            str(billing.id),
        ]
        session.rollback()

    with pg_engine.connect() as conn:
        conn.execute(sa.text("SET enable_seqscan = off"))
        plan = "\n".join(
            conn.execute(
                sa.text(
                    f"EXPLAIN SELECT id FROM prompts WHERE {PG_DOCUMENT} @@ "
                    "to_tsquery('simple', 'refund:*')"
                )
            ).scalars()
        )
    assert "ix_prompts_search" in plan, plan
