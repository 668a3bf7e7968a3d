"""Tags on prompts (services/tags.py): cleaned, owner-only, audited, and a search filter."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from promptrepo.models import AuditLog, Prompt
from promptrepo.services import search, tags
from promptrepo.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import make_user
from tests.prompt_factories import make_prompt


def test_tags_are_trimmed_lowercased_deduplicated_and_checked() -> None:
    assert tags.clean_tags([" Support ", "support", "v2.1", "team/core", "ünï"]) == [
        "support",
        "v2.1",
        "team/core",
        "ünï",
    ]
    for bad in ["", "   ", "two words", "-dash-first", "x" * 33, "a,b", "emoji🙂"]:
        with pytest.raises(ValidationFailed):
            tags.clean_tag(bad)
    with pytest.raises(ValidationFailed, match="at most 20"):
        tags.clean_tags([f"t{i}" for i in range(21)])
    with pytest.raises(ValidationFailed, match="list"):
        tags.clean_tags("support")


def test_owner_adds_and_removes_tags_without_moving_the_revision(session: Session) -> None:
    alice = make_user(session)
    _, prompt = make_prompt(session, alice, name="Refund reply", content="hi")
    revision = prompt.revision

    tags.add_tag(session, alice, prompt.id, "Support")
    tags.add_tag(session, alice, prompt.id, "billing")
    tags.add_tag(session, alice, prompt.id, "support")  # already there
    session.commit()
    stored = session.get(Prompt, prompt.id)
    session.refresh(stored)
    assert stored.tags == ["support", "billing"]
    assert stored.revision == revision

    tags.remove_tag(session, alice, prompt.id, "SUPPORT")
    session.commit()
    session.refresh(stored)
    assert stored.tags == ["billing"]

    entries = session.exec(
        select(AuditLog).where(AuditLog.action == "prompt.tagged").order_by(AuditLog.created_at)
    ).all()
    assert [(e.details["added"], e.details["removed"]) for e in entries] == [
        (["support"], []),
        (["billing"], []),
        ([], ["support"]),
    ]


def test_outsider_cannot_tag_someone_elses_prompt(session: Session) -> None:
    alice = make_user(session)
    bob = make_user(session)
    _, private = make_prompt(session, alice, name="Private")
    _, public = make_prompt(session, alice, name="Public", is_public=True, project_name="Pub")
    with pytest.raises(NotFound):
        tags.add_tag(session, bob, private.id, "mine")
    with pytest.raises(PermissionDenied):  # readable, but not Bob's to change
        tags.set_tags(session, bob, public.id, ["mine"])
    session.rollback()
    assert session.get(Prompt, public.id).tags == []


def test_search_filters_by_tag_with_or_without_words(session: Session) -> None:
    alice = make_user(session)
    bob = make_user(session)
    _, refund = make_prompt(session, alice, name="Refund reply", content="money back")
    _, invoice = make_prompt(
        session, alice, name="Invoice", content="money owed", project_name="Billing"
    )
    _, other = make_prompt(session, bob, name="Bob's", content="money")
    tags.set_tags(session, alice, refund.id, ["support", "billing"])
    tags.set_tags(session, alice, invoice.id, ["billing"])
    tags.set_tags(session, bob, other.id, ["support"])
    session.commit()

    def names(query: str, tag: str | None) -> list[str]:
        return [h.prompt_name for h in search.search_prompts(session, alice, query, tag=tag).items]

    assert names("money", None) == ["Invoice", "Refund reply"]
    assert names("money", "support") == ["Refund reply"]
    assert names("money", "BILLING") == ["Invoice", "Refund reply"]
    assert names("", "support") == ["Refund reply"]  # a tag alone lists its prompts
    assert names("", "nothing") == []
    hit = search.search_prompts(session, alice, "refund").items[0]
    assert hit.tags == ["support", "billing"]
    assert tags.user_tags(session, alice) == ["billing", "support"]
    with pytest.raises(ValidationFailed):
        search.search_prompts(session, alice, "money", tag="two words")
