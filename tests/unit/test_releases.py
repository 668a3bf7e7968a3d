"""Releases: the Promote preview says what a label move would do and why it would be
refused, before it happens; every move is kept in the label's history (both DBs)."""

import pytest
from sqlmodel import Session

from promptrepo.services import drafts, releases, validators, versions
from promptrepo.services.errors import NotFound, ValidationFailed
from tests.factories import make_user
from tests.prompt_factories import make_prompt


@pytest.fixture
def world(session: Session):
    owner = make_user(session, name="Olive Owner")
    outsider = make_user(session, name="Outsider")
    _, prompt = make_prompt(session, owner)
    for n in (1, 2, 3):
        prompt = drafts.save_draft(
            session,
            owner,
            prompt.id,
            base_revision=prompt.revision,
            content=f"Line\nv{n} {{{{ who }}}}",
        )
        versions.create_version(session, owner, prompt.id, commit_message=f"v{n}")
    session.commit()
    return owner, outsider, prompt


def test_side_by_side_pairs_changed_lines_and_keeps_equal_ones_aligned() -> None:
    rows = releases.side_by_side("a\nb\nc", "a\nB\nc\nd")
    assert [(r.kind, r.old_number, r.old, r.new_number, r.new) for r in rows] == [
        ("same", 1, "a", 1, "a"),
        ("changed", 2, "b", 2, "B"),
        ("same", 3, "c", 3, "c"),
        ("added", None, "", 4, "d"),
    ]


def test_preview_of_a_first_publish_says_placeholders_were_used(session: Session, world) -> None:
    owner, _, prompt = world
    preview = releases.promotion_preview(session, owner, prompt.id, "production", 2)
    assert preview.kind == "publish" and preview.allowed
    assert preview.current_version is None and preview.target_version == 2
    assert preview.placeholders == ["who"]
    assert [r.kind for r in preview.rows] == ["added", "added"]


def test_preview_refuses_failing_validators_before_the_click(session: Session, world) -> None:
    owner, _, prompt = world
    validators.add_validator(session, owner, prompt.id, type="length", config={"max": 3})
    versions.create_version(session, owner, prompt.id, commit_message="v4 with a check")
    session.commit()
    preview = releases.promotion_preview(session, owner, prompt.id, "production", 4)
    assert not preview.allowed
    assert "1 validator failed" in preview.refusal
    assert preview.refusal_details and preview.refusal_details[0].startswith("length:")
    assert [(c.type, c.passed) for c in preview.checks] == [("length", False)]
    with pytest.raises(ValidationFailed):
        releases.promote(session, owner, prompt.id, "production", 4)
    session.rollback()
    # The same version may carry another label: only production is gated.
    assert releases.promotion_preview(session, owner, prompt.id, "staging", 4).allowed


def test_promote_rollback_move_and_remove_are_recorded_with_reasons(
    session: Session, world
) -> None:
    owner, _, prompt = world
    releases.promote(session, owner, prompt.id, "production", 2, reason="first release")
    releases.promote(session, owner, prompt.id, "production", 3, reason="fixes tone")
    session.commit()
    preview = releases.promotion_preview(session, owner, prompt.id, "production", 1)
    assert preview.kind == "rollback" and preview.current_version == 3
    assert [(r.kind, r.old, r.new) for r in preview.rows][1] == (
        "changed",
        "v3 {{ who }}",
        "v1 {{ who }}",
    )
    releases.promote(session, owner, prompt.id, "production", 1, reason="v3 broke parsing")
    releases.promote(session, owner, prompt.id, "staging", 3)
    releases.promote(session, owner, prompt.id, "staging", None, reason="done testing")
    session.commit()
    history = releases.label_history(session, owner, prompt.id, "production")
    assert [(e.from_version, e.to_version, e.reason) for e in history] == [
        (3, 1, "v3 broke parsing"),
        (2, 3, "fixes tone"),
        (None, 2, "first release"),
    ]
    assert all(e.actor_name == "Olive Owner" for e in history)
    staging = releases.label_history(session, owner, prompt.id, "staging")
    assert [(e.from_version, e.to_version) for e in staging] == [(3, None), (None, 3)]
    assert versions.resolve(session, owner, prompt.id).version == 1


def test_preview_explains_moves_that_change_nothing(session: Session, world) -> None:
    owner, _, prompt = world
    releases.promote(session, owner, prompt.id, "production", 2)
    session.commit()
    assert (
        "already points at version 2"
        in releases.promotion_preview(session, owner, prompt.id, "production", 2).refusal
    )
    assert (
        "no label 'staging'"
        in releases.promotion_preview(session, owner, prompt.id, "staging", None).refusal
    )
    with pytest.raises(ValidationFailed, match="already points"):
        releases.promote(session, owner, prompt.id, "production", 2)


def test_outsider_sees_no_history_and_cannot_promote(session: Session, world) -> None:
    owner, outsider, prompt = world
    releases.promote(session, owner, prompt.id, "production", 2)
    session.commit()
    with pytest.raises(NotFound):
        releases.label_history(session, outsider, prompt.id)
    with pytest.raises(NotFound):
        releases.promotion_preview(session, outsider, prompt.id, "production", 1)
    with pytest.raises(NotFound):
        releases.promote(session, outsider, prompt.id, "production", 1)


def test_a_too_long_reason_is_refused_and_moves_nothing(session: Session, world) -> None:
    owner, _, prompt = world
    with pytest.raises(ValidationFailed, match="reason"):
        releases.promote(session, owner, prompt.id, "production", 2, reason="x" * 501)
    session.rollback()
    assert releases.label_history(session, owner, prompt.id) == []


def test_changed_lines_come_with_the_words_that_changed() -> None:
    old_words, new_words = releases.word_diff("Reply in prose, briefly.", "Reply in JSON, briefly.")
    assert old_words == [("Reply in ", False), ("prose", True), (", briefly.", False)]
    assert new_words == [("Reply in ", False), ("JSON", True), (", briefly.", False)]
    row = releases.side_by_side("Hi there", "Hi you")[0]
    assert row.kind == "changed" and row.new_words == [("Hi ", False), ("you", True)]
