"""The command palette's targets (services/search.jump_targets): the user's own projects and
prompts only, projects first, within the limit."""

from __future__ import annotations

from sqlmodel import Session

from promptrepo.services.search import jump_targets
from tests.factories import make_user
from tests.prompt_factories import make_prompt


def test_palette_offers_own_projects_then_prompts_and_never_others(session: Session) -> None:
    alice = make_user(session)
    bob = make_user(session)
    support, refund = make_prompt(
        session, alice, name="Refund reply", content="money", project_name="Support bot"
    )
    make_prompt(session, alice, name="Greeting", content="hello", project_name="Refunds team")
    make_prompt(session, bob, name="Refund public", is_public=True, project_name="Refund pub")

    targets = jump_targets(session, alice, "refund")
    assert [(t.kind, t.title) for t in targets] == [
        ("project", "Refunds team"),
        ("prompt", "Refund reply"),
    ]
    prompt = targets[1]
    assert (prompt.project_id, prompt.prompt_id) == (str(support.id), str(refund.id))
    assert prompt.detail == "Prompt · Support bot › Main"
    assert targets[0].detail == "Project · 1 prompt"

    # No query: the most recently changed projects; a limit holds.
    assert {t.title for t in jump_targets(session, alice, "")} == {"Support bot", "Refunds team"}
    assert len(jump_targets(session, alice, "", limit=1)) == 1
    assert jump_targets(session, alice, "nothing-like-this") == []
