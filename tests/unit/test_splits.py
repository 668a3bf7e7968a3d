"""Traffic splits: a label serving several versions by weight. Setting one goes through the
preview and the label's history; serving picks a version per request from the caller's key
(always the same for one key, shares matching the weights) or at random, from the cache with
no database query; one promote ends it (both databases)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from sqlmodel import Session, select

from promptrepo.models import LabelSplit
from promptrepo.services import (
    drafts,
    releases,
    served_counts,
    serving,
    serving_db,
    splits,
    validators,
    versions,
)
from promptrepo.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import make_user
from tests.prompt_factories import make_prompt

KEYS = 10_000


@pytest.fixture
def world(session: Session, use_engine, kv_backend):
    owner = make_user(session, name="Olive Owner")
    outsider = make_user(session, name="Outsider")
    _, prompt = make_prompt(session, owner)
    for n in (1, 2, 3):
        prompt = drafts.save_draft(
            session, owner, prompt.id, base_revision=prompt.revision, content=f"v{n} says hi"
        )
        versions.create_version(session, owner, prompt.id, commit_message=f"v{n}")
    releases.promote(session, owner, prompt.id, "production", 1)
    session.commit()
    return owner, outsider, prompt


def _fetch_many(principal, prompt_id, keys) -> list[serving.Served]:
    wanted = serving.by_id(prompt_id, None, None)

    async def run():
        try:
            return [await serving.fetch(principal, wanted, key) for key in keys]
        finally:
            await serving_db.close_for_this_loop()

    return asyncio.run(run())


# --------------------------------------------------------------------------- picking (pure)
def test_pick_follows_cumulative_weights() -> None:
    assert [splits.pick([90, 10], p) for p in (0.0, 0.5, 0.8999, 0.9, 0.99)] == [0, 0, 0, 1, 1]
    assert [splits.pick([20, 30, 50], p) for p in (0.1, 0.2, 0.49, 0.5, 0.999)] == [0, 1, 1, 2, 2]


def test_a_key_lands_in_the_same_place_and_prompts_place_it_independently() -> None:
    assert splits.share("p1", "production", "user-1") == splits.share("p1", "production", "user-1")
    assert splits.share("p1", "production", "user-1") != splits.share("p2", "production", "user-1")
    points = [splits.share("p1", "production", f"user-{i}") for i in range(KEYS)]
    assert all(0 <= p < 1 for p in points)
    # uniform: each tenth of [0, 1) holds about a tenth of the keys
    tenths = Counter(int(p * 10) for p in points)
    assert all(abs(tenths[t] / KEYS - 0.1) < 0.02 for t in range(10)), tenths


# --------------------------------------------------------------------------- validating
@pytest.mark.parametrize(
    ("arms", "message"),
    [
        ([(1, 100)], "2–4 versions"),
        ([(1, 90), (2, 20)], "sum to 110"),
        ([(1, 0), (2, 100)], "1 to 99"),
        ([(1, 50), (1, 50)], "appears twice"),
        ([(1, 20), (2, 20), (3, 20), (4, 20), (5, 20)], "2–4 versions"),
    ],
)
def test_bad_arms_are_refused_naming_the_problem(arms, message) -> None:
    with pytest.raises(ValidationFailed) as caught:
        splits.check_arms(arms)
    assert any(message in e["msg"] for e in caught.value.errors), caught.value.errors


def test_a_split_over_a_missing_version_is_not_found(session: Session, world) -> None:
    owner, _, prompt = world
    with pytest.raises(NotFound):
        splits.set_split(session, owner, prompt.id, "production", [(1, 90), (9, 10)])


def test_production_splits_only_over_versions_that_pass_their_checks(
    session: Session, world
) -> None:
    owner, _, prompt = world
    validators.add_validator(session, owner, prompt.id, type="length", config={"max": 3})
    versions.create_version(session, owner, prompt.id, commit_message="v4 with a check")
    session.commit()
    preview = splits.split_preview(session, owner, prompt.id, "production", [(1, 90), (4, 10)])
    assert not preview.allowed and "cannot be published" in preview.refusal
    assert [(v, c.type, c.passed) for v, c in preview.checks] == [(4, "length", False)]
    with pytest.raises(ValidationFailed):
        splits.set_split(session, owner, prompt.id, "production", [(1, 90), (4, 10)])
    session.rollback()
    # other labels are not gated, as for a move
    assert splits.split_preview(session, owner, prompt.id, "canary", [(1, 50), (4, 50)]).allowed


def test_only_the_owner_splits(session: Session, world) -> None:
    _, outsider, prompt = world
    with pytest.raises(NotFound):
        splits.set_split(session, outsider, prompt.id, "production", [(1, 90), (2, 10)])


# --------------------------------------------------------------------------- setting, ending
def test_a_split_is_previewed_recorded_and_ended_by_one_promote(session: Session, world) -> None:
    owner, _, prompt = world
    preview = splits.split_preview(session, owner, prompt.id, "production", [(2, 10), (1, 90)])
    assert preview.allowed and preview.description == "v1 90% / v2 10%"
    assert preview.current_version == 1 and preview.compared_version == 2
    assert [(r.old, r.new) for r in preview.rows] == [("v1 says hi", "v2 says hi")]
    splits.set_split(session, owner, prompt.id, "production", [(1, 90), (2, 10)], reason="canary")
    session.commit()
    assert splits.splits_of_prompt(session, owner, prompt.id) == {
        "production": [splits.Arm(1, 90), splits.Arm(2, 10)]
    }
    # version_labels still has one row, at the heaviest arm
    assert [(li.name, li.version) for li in versions.list_labels(session, owner, prompt.id)] == [
        ("production", 1)
    ]
    event = releases.label_history(session, owner, prompt.id, "production")[0]
    assert (event.from_version, event.to_version) == (1, 1)
    assert event.reason == "split v1 90% / v2 10%: canary"
    # the same split again is refused; a version serving part of it cannot be deleted
    again = splits.split_preview(session, owner, prompt.id, "production", [(1, 90), (2, 10)])
    assert "already serves" in again.refusal
    with pytest.raises(Conflict, match="traffic split"):
        versions.delete_version(session, owner, prompt.id, 2)
    session.rollback()

    # ending it: one promote, even to the version the label already points at
    preview = releases.promotion_preview(session, owner, prompt.id, "production", 1)
    assert preview.allowed and preview.split == "v1 90% / v2 10%"
    releases.promote(session, owner, prompt.id, "production", 1, reason="v2 lost")
    session.commit()
    assert splits.splits_of_prompt(session, owner, prompt.id) == {}
    event = releases.label_history(session, owner, prompt.id, "production")[0]
    assert event.reason == "end split v1 90% / v2 10%: v2 lost"
    versions.delete_version(session, owner, prompt.id, 2)  # no longer serving
    session.commit()


def test_removing_a_split_label_removes_its_split(session: Session, world) -> None:
    owner, _, prompt = world
    splits.set_split(session, owner, prompt.id, "canary", [(2, 50), (3, 50)])
    session.commit()
    releases.promote(session, owner, prompt.id, "canary", None)
    session.commit()
    assert session.exec(select(LabelSplit)).all() == []


# --------------------------------------------------------------------------- serving
def test_keyed_resolves_share_by_weight_and_each_key_keeps_its_version(
    session: Session, world
) -> None:
    owner, _, prompt = world
    before = _fetch_many(owner, prompt.id, [None])[0]
    assert before.version == 1 and "split" not in before.resolved
    splits.set_split(session, owner, prompt.id, "production", [(1, 90), (3, 10)])
    session.commit()  # invalidates the cached entry (after commit)
    keys = [f"user-{i}" for i in range(KEYS)]
    first = _fetch_many(owner, prompt.id, keys)
    shares = Counter(served.version for served in first)
    assert set(shares) == {1, 3}
    assert abs(shares[1] / KEYS - 0.90) <= 0.02 and abs(shares[3] / KEYS - 0.10) <= 0.02, shares
    again = _fetch_many(owner, prompt.id, keys[:2000])
    assert [s.version for s in again] == [s.version for s in first[:2000]]
    body = json.loads(first[0].body)
    assert body["split"] is True and "production" in body["labels"]
    assert body["content"] == f"v{body['version']} says hi"
    assert json.loads(first[0].langfuse_body)["split"] is True


def test_a_keyed_resolve_is_a_cache_hit_with_no_database_query(
    session: Session, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, _, prompt = world
    splits.set_split(session, owner, prompt.id, "production", [(1, 50), (2, 50)])
    session.commit()
    _fetch_many(owner, prompt.id, ["warm"])  # the miss: reads every arm, caches them together

    def no_database(*args, **kwargs):
        raise AssertionError("a cached split must not read the database")

    monkeypatch.setattr(serving, "load_and_cache", no_database)
    served = _fetch_many(owner, prompt.id, [f"k{i}" for i in range(200)])
    assert {s.version for s in served} == {1, 2}


def test_unkeyed_resolves_pick_at_random_by_weight(session: Session, world) -> None:
    owner, _, prompt = world
    splits.set_split(session, owner, prompt.id, "production", [(1, 80), (2, 20)])
    session.commit()
    served = _fetch_many(owner, prompt.id, [None] * 4000)
    share = sum(s.version == 2 for s in served) / len(served)
    assert 0.16 <= share <= 0.24, share  # ±4 %: about 6 standard deviations


def test_ending_the_split_serves_one_version_again(session: Session, world) -> None:
    owner, _, prompt = world
    splits.set_split(session, owner, prompt.id, "production", [(1, 50), (2, 50)])
    session.commit()
    assert {s.version for s in _fetch_many(owner, prompt.id, [f"u{i}" for i in range(100)])} == {
        1,
        2,
    }
    releases.promote(session, owner, prompt.id, "production", 2)
    session.commit()
    served = _fetch_many(owner, prompt.id, [f"u{i}" for i in range(100)])
    assert {s.version for s in served} == {2}
    assert "split" not in served[0].resolved


def test_the_outsider_cannot_read_a_split_private_prompt(session: Session, world) -> None:
    owner, outsider, prompt = world
    splits.set_split(session, owner, prompt.id, "production", [(1, 50), (2, 50)])
    session.commit()
    _fetch_many(owner, prompt.id, ["warm"])
    with pytest.raises(NotFound):
        _fetch_many(outsider, prompt.id, ["x"])


def test_served_counts_per_version_reach_the_history(session: Session, world) -> None:
    owner, outsider, prompt = world
    splits.set_split(session, owner, prompt.id, "production", [(1, 70), (2, 30)])
    session.commit()
    served = _fetch_many(owner, prompt.id, [f"user-{i}" for i in range(500)])
    expected = Counter(s.version for s in served)
    history = served_counts.served_history(session, owner, prompt.id, hours=2)
    assert history.totals == dict(sorted(expected.items()))
    assert len(history.buckets) == 2 and history.buckets[-1].counts == history.totals
    with pytest.raises(NotFound):
        served_counts.served_history(session, outsider, prompt.id)
