"""Reviewed releases (issue 16 item 2): with "production needs review" on, production moves
only through a proposal another owner/editor approves; decisions and proposals notify people.

Every step runs as the app runs it (`session_scope(acting_as=…)`): on PostgreSQL that is the
row-level-security role, so the policies of migration 0019 are exercised too."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from promptrepo.db import session_scope
from promptrepo.models import LabelEvent, Notification, ReleaseProposal
from promptrepo.services import (
    drafts,
    langfuse,
    members,
    notifications,
    releases,
    reviews,
    splits,
    validators,
    versions,
)
from promptrepo.services.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ReviewRequired,
    ValidationFailed,
)
from tests.factories import make_user
from tests.prompt_factories import make_prompt


def as_(who):
    return session_scope(acting_as=who.user_id)


@pytest.fixture
def team(use_engine: Engine):
    """An owner with a prompt (v1 live in production, v2 and v3 ready), an editor, a second
    editor, a viewer and an outsider; review turned on."""
    with Session(use_engine, expire_on_commit=False) as s:
        owner = make_user(s, name="Olive Owner", plan="pro")
        editor = make_user(s, name="Eddie Editor")
        editor2 = make_user(s, name="Edna Editor")
        viewer = make_user(s, name="Vera Viewer")
        outsider = make_user(s, name="Otto Outsider")
        s.commit()
        project, prompt = make_prompt(s, owner, content="Hello")
    for n in (1, 2, 3):
        with as_(owner) as s:
            drafts.save_draft(s, owner, prompt.id, base_revision=None, content=f"v{n}", force=True)
            versions.create_version(s, owner, prompt.id, commit_message=f"v{n}")
    with as_(owner) as s:
        versions.set_label(s, owner, prompt.id, "production", 1)
    for who, role in ((editor, "editor"), (editor2, "editor"), (viewer, "viewer")):
        with as_(owner) as s:
            created = members.invite(s, owner, project.id, email=who.email, role=role)
        with as_(who) as s:
            members.accept_invite(s, who, created.link.rsplit("/", 1)[1])
    with as_(owner) as s:
        reviews.set_review_required(s, owner, project.id, True)
    return owner, editor, editor2, viewer, outsider, project, prompt


def production(use_engine: Engine, prompt) -> str:
    with Session(use_engine) as s:
        return reviews.live_state(s, prompt.id, "production")


def test_direct_production_moves_need_review_on_every_path(use_engine, team) -> None:
    owner, editor, *_, project, prompt = team
    for who in (owner, editor):
        attempts = [
            lambda s, w=who: versions.set_label(s, w, prompt.id, "production", 2),
            lambda s, w=who: versions.remove_label(s, w, prompt.id, "production"),
            lambda s, w=who: versions.rollback(s, w, prompt.id, 1),
            lambda s, w=who: releases.promote(s, w, prompt.id, "production", 3),
            lambda s, w=who: splits.set_split(s, w, prompt.id, "production", [(1, 90), (2, 10)]),
            lambda s, w=who: langfuse.set_labels(
                s,
                dataclasses.replace(w, api_key_project_id=project.id, api_key_scope="write"),
                "Main/Greeting",
                2,
                ["production"],
            ),
        ]
        for attempt in attempts:
            with pytest.raises(ReviewRequired) as refused, as_(who) as s:
                attempt(s)
            assert refused.value.status_code == 409
            assert "review" in refused.value.message
            assert refused.value.how["propose"] == f"/api/v1/prompts/{prompt.id}/proposals"
    assert production(use_engine, prompt) == "v1"
    with as_(editor) as s:  # other labels move freely
        versions.set_label(s, editor, prompt.id, "staging", 3)


def test_editor_proposes_owner_approves_and_the_label_moves_with_history(use_engine, team) -> None:
    owner, editor, editor2, viewer, _, project, prompt = team
    with as_(editor) as s:
        proposal = reviews.propose(s, editor, prompt.id, to_version=2, message="v2 fixes tone")
    assert proposal.status == "open" and proposal.base == "v1" and proposal.change == "v2"
    # the owner and the other editor are told; the viewer and the proposer are not
    for who, expected in ((owner, 1), (editor2, 1), (viewer, 0), (editor, 0)):
        with as_(who) as s:
            page = notifications.list_notifications(s, who)
        assert page.unread == expected, who.name
    with as_(owner) as s:
        page = notifications.list_notifications(s, owner)
    assert "Eddie Editor proposes to move production to v2" in page.items[0].text
    assert page.items[0].link.endswith(f"?proposal={proposal.id}")
    with as_(owner) as s:
        detail = reviews.proposal_detail(s, owner, proposal.id)
    assert not detail.stale and not detail.refusal and detail.live == "v1"
    assert [(r.kind, r.old, r.new) for r in detail.rows] == [("changed", "v1", "v2")]
    with as_(owner) as s:
        approved = reviews.approve(s, owner, proposal.id)
    assert approved.status == "approved" and approved.decider_name == "Olive Owner"
    assert production(use_engine, prompt) == "v2"
    with Session(use_engine) as s:
        event = s.exec(
            select(LabelEvent).where(LabelEvent.to_version == 2, LabelEvent.label == "production")
        ).one()
    assert event.actor_id == owner.user_id
    assert event.from_version == 1
    assert event.reason == "approved proposal by Eddie Editor: v2 fixes tone"
    with as_(editor) as s:
        page = notifications.list_notifications(s, editor)
    assert page.unread == 1 and "approved your proposal" in page.items[0].text


def test_self_approval_is_refused_and_viewers_cannot_propose_or_decide(use_engine, team) -> None:
    owner, editor, editor2, viewer, outsider, project, prompt = team
    with as_(editor) as s:
        proposal = reviews.propose(s, editor, prompt.id, to_version=2)
    with pytest.raises(PermissionDenied, match="someone else must approve"), as_(editor) as s:
        reviews.approve(s, editor, proposal.id)
    with pytest.raises(PermissionDenied), as_(viewer) as s:
        reviews.propose(s, viewer, prompt.id, to_version=3)
    for decide in (
        lambda s: reviews.approve(s, viewer, proposal.id),
        lambda s: reviews.reject(s, viewer, proposal.id, reason="no"),
    ):
        with pytest.raises(PermissionDenied), as_(viewer) as s:
            decide(s)
    with pytest.raises(NotFound), as_(outsider) as s:
        reviews.approve(s, outsider, proposal.id)
    with pytest.raises(NotFound), as_(outsider) as s:
        reviews.list_proposals(s, outsider, prompt.id)
    with as_(viewer) as s:  # the viewer may read the proposals
        assert [p.id for p in reviews.list_proposals(s, viewer, prompt.id)] == [proposal.id]
    assert production(use_engine, prompt) == "v1"
    with as_(editor2) as s:  # another editor may approve
        reviews.approve(s, editor2, proposal.id)
    assert production(use_engine, prompt) == "v2"
    with pytest.raises(Conflict, match="already approved"), as_(owner) as s:
        reviews.approve(s, owner, proposal.id)


def test_a_stale_proposal_is_refused(use_engine, team) -> None:
    owner, editor, editor2, *_, project, prompt = team
    with as_(editor) as s:
        first = reviews.propose(s, editor, prompt.id, to_version=2)
        second = reviews.propose(s, editor, prompt.id, to_version=3)
    with as_(owner) as s:
        reviews.approve(s, owner, second.id)
    with as_(owner) as s:
        detail = reviews.proposal_detail(s, owner, first.id)
    assert detail.stale and "served v1 when it was proposed and serves v3 now" in detail.refusal
    with pytest.raises(Conflict, match="stale"), as_(editor2) as s:
        reviews.approve(s, editor2, first.id)
    assert production(use_engine, prompt) == "v3"
    with Session(use_engine) as s:
        assert s.get(ReleaseProposal, uuid.UUID(first.id)).status == "open"


def test_reject_needs_a_reason_and_tells_the_proposer(use_engine, team) -> None:
    owner, editor, *_, project, prompt = team
    with as_(editor) as s:
        proposal = reviews.propose(s, editor, prompt.id, to_version=None, message="unpublish")
    assert proposal.change == "remove"
    with pytest.raises(ValidationFailed, match="Say why"), as_(owner) as s:
        reviews.reject(s, owner, proposal.id, reason="  ")
    with pytest.raises(PermissionDenied, match="withdraw"), as_(editor) as s:
        reviews.reject(s, editor, proposal.id, reason="changed my mind")
    with as_(owner) as s:
        rejected = reviews.reject(s, owner, proposal.id, reason="customers rely on it")
    assert rejected.status == "rejected" and rejected.decision_reason == "customers rely on it"
    assert production(use_engine, prompt) == "v1"
    with as_(editor) as s:
        page = notifications.list_notifications(s, editor)
    assert "rejected your proposal" in page.items[0].text
    assert page.items[0].text.endswith("customers rely on it")


def test_only_the_proposer_withdraws(use_engine, team) -> None:
    owner, editor, *_, project, prompt = team
    with as_(editor) as s:
        proposal = reviews.propose(s, editor, prompt.id, to_version=2)
    with pytest.raises(PermissionDenied, match="Only the person who proposed"), as_(owner) as s:
        reviews.withdraw(s, owner, proposal.id)
    with as_(editor) as s:
        assert reviews.withdraw(s, editor, proposal.id).status == "withdrawn"
    with pytest.raises(Conflict), as_(owner) as s:
        reviews.approve(s, owner, proposal.id)


def test_a_split_proposal_is_applied_as_a_split(use_engine, team) -> None:
    owner, editor, *_, project, prompt = team
    with as_(owner) as s:  # the owner proposes too; an editor approves
        proposal = reviews.propose(s, owner, prompt.id, arms=[(1, 90), (2, 10)], message="canary")
    assert proposal.change == "v1 90% / v2 10%"
    with as_(editor) as s:
        reviews.approve(s, editor, proposal.id)
    assert production(use_engine, prompt) == "v1 90% / v2 10%"


def test_proposals_that_would_be_refused_anyway_are_refused_up_front(use_engine, team) -> None:
    owner, editor, *_, project, prompt = team
    with pytest.raises(ValidationFailed, match="already points at version 1"), as_(editor) as s:
        reviews.propose(s, editor, prompt.id, to_version=1)
    with as_(owner) as s:
        validators.add_validator(s, owner, prompt.id, type="length", config={"max": 1})
        versions.create_version(s, owner, prompt.id, commit_message="v4 fails")
    with pytest.raises(ValidationFailed, match="cannot be published"), as_(editor) as s:
        reviews.propose(s, editor, prompt.id, to_version=4)
    with pytest.raises(ValidationFailed, match="needs no review"), as_(editor) as s:
        reviews.propose(s, editor, prompt.id, label="staging", to_version=2)
    with as_(owner) as s:
        reviews.set_review_required(s, owner, project.id, False)
    with pytest.raises(ValidationFailed, match="needs no review"), as_(editor) as s:
        reviews.propose(s, editor, prompt.id, to_version=2)
    with as_(editor) as s:  # review off: the editor publishes directly again
        versions.set_label(s, editor, prompt.id, "production", 2)


def test_approval_reruns_the_checks(use_engine, team) -> None:
    owner, editor, *_, project, prompt = team
    with as_(editor) as s:
        proposal = reviews.propose(s, editor, prompt.id, to_version=3)
    # the version's snapshot is immutable, so make the check fail through the test-case gate
    from promptrepo.services import testcases

    with as_(owner) as s:
        testcases.set_require_passing_tests(s, owner, project.id, True)
        testcases.add_case(s, owner, prompt.id, {"name": "greets"})
    with pytest.raises(ValidationFailed, match="has not been tested"), as_(owner) as s:
        reviews.approve(s, owner, proposal.id)
    assert production(use_engine, prompt) == "v1"
    with Session(use_engine) as s:
        assert s.get(ReleaseProposal, uuid.UUID(proposal.id)).status == "open"


def test_only_the_owner_turns_review_on(use_engine, team) -> None:
    owner, editor, *_, project, prompt = team
    with pytest.raises(PermissionDenied), as_(editor) as s:
        reviews.set_review_required(s, editor, project.id, False)


def test_notifications_are_private_and_marked_read(use_engine, team) -> None:
    owner, editor, editor2, *_, project, prompt = team
    with as_(editor) as s:
        reviews.propose(s, editor, prompt.id, to_version=2)
    with as_(owner) as s:
        mine = notifications.list_notifications(s, owner).items[0]
    with pytest.raises(NotFound), as_(editor2) as s:
        notifications.mark_read(s, editor2, mine.id)
    with as_(owner) as s:
        assert notifications.mark_read(s, owner, mine.id) == 1
        assert notifications.unread_count(s, owner) == 0
    with as_(editor2) as s:
        assert notifications.mark_read(s, editor2) == 1
        assert notifications.unread_count(s, editor2) == 0
    with Session(use_engine) as s:
        assert len(s.exec(select(Notification)).all()) == 2
