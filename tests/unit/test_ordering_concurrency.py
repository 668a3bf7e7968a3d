"""Two tabs reordering the same project at once, for real, on PostgreSQL and SQLite.

Each thread has its own session and connection; the services lock the project's row
(SELECT ... FOR UPDATE; on SQLite the write lock, taken before the siblings are read), so
the orders stay 0..n-1 with no duplicates or gaps.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from promptrepo.models import Prompt, Segment
from promptrepo.services import ordering, projects, prompts, segments
from tests.factories import make_user

ROUNDS = 15


@pytest.fixture(autouse=True)
def widen_the_race(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sleep between reading the siblings and writing them, as a slow request would."""

    def slow(fn):
        def wrapper(*args, **kwargs):
            result = fn(*args, **kwargs)
            time.sleep(0.005)
            return result

        return wrapper

    monkeypatch.setattr(segments, "segments_in_order", slow(ordering.segments_in_order))
    monkeypatch.setattr(prompts, "prompts_in_order", slow(ordering.prompts_in_order))


def _run_in_threads(engine: Engine, work) -> list[BaseException]:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def runner(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(ROUNDS):
                with Session(engine, expire_on_commit=False) as session:
                    work(session, rng)
                    session.commit()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_concurrent_reorders_and_inserts_keep_orders_dense(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        owner = make_user(session, plan="pro")
        project = projects.create_project(session, owner, name="Busy")
        first = segments.create_segment(session, owner, project.id, name="first")
        second = segments.create_segment(session, owner, project.id, name="second")
        for i in range(8):
            prompts.create_prompt(session, owner, first.id, name=f"p{i}")
        session.commit()
    segment_ids = [first.id, second.id]

    def work(session: Session, rng: random.Random) -> None:
        all_prompts = session.exec(select(Prompt).where(Prompt.segment_id.in_(segment_ids))).all()
        action = rng.random()
        if action < 0.2:
            prompts.create_prompt(session, owner, rng.choice(segment_ids), name="new")
        elif action < 0.3:
            segments.create_segment(session, owner, project.id, name="extra", index=0)
        elif action < 0.4:
            segs = session.exec(select(Segment).where(Segment.project_id == project.id)).all()
            segments.move_segment(session, owner, rng.choice(segs).id, rng.randrange(len(segs)))
        else:
            prompts.move_prompt(
                session,
                owner,
                rng.choice(all_prompts).id,
                segment_id=rng.choice(segment_ids),
                new_index=rng.randrange(10),
            )

    errors = _run_in_threads(engine, work)
    assert errors == []
    with Session(engine) as session:
        segs = session.exec(select(Segment).where(Segment.project_id == project.id)).all()
        assert sorted(s.order for s in segs) == list(range(len(segs)))
        total = 0
        for seg in segs:
            orders = session.exec(select(Prompt.order).where(Prompt.segment_id == seg.id)).all()
            assert sorted(orders) == list(range(len(orders))), seg.name
            total += len(orders)
        assert total >= 8


def test_two_tabs_appending_at_once_get_distinct_positions(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        owner = make_user(session, plan="pro")
        project = projects.create_project(session, owner, name="Race")
        session.commit()

    def work(session: Session, rng: random.Random) -> None:
        segments.create_segment(session, owner, project.id, name=f"s{rng.random():.6f}")

    assert _run_in_threads(engine, work) == []
    with Session(engine) as session:
        orders = session.exec(select(Segment.order).where(Segment.project_id == project.id)).all()
        assert sorted(orders) == list(range(2 * ROUNDS))
