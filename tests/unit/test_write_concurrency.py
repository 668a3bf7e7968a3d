"""No acknowledged write is lost: every read-modify-write under real concurrent threads.

Each thread has its own session and connection and commits like a request would; a barrier
starts them together and a short sleep after the (unlocked) access check lets every thread
read the old state before any writes, the widest window a slow request opens. Runs on SQLite
(one writer lock per database) and PostgreSQL (row locks); see services/locks.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from promptrepo.db import build_engine
from promptrepo.models import (
    ApiKey,
    AuditLog,
    Profile,
    Project,
    Prompt,
    Validator,
    Version,
    VersionLabel,
)
from promptrepo.services import (
    access,
    accounts,
    api_keys,
    auth,
    drafts,
    password_reset,
    plans,
    projects,
    validators,
    versions,
)
from promptrepo.services.errors import (
    NotFound,
    PermissionDenied,
    PlanLimitReached,
    ServiceError,
    ValidationFailed,
)
from tests.factories import make_user
from tests.prompt_factories import make_prompt

READ_PAUSE = 0.02


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The test's database with a pool large enough for every thread to hold a connection."""
    if engine.dialect.name == "sqlite":
        yield engine
        return
    wide = build_engine(engine.url.render_as_string(hide_password=False), pool_size=25)
    yield wide
    wide.dispose()


@pytest.fixture(autouse=True)
def slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pause after each access check (an unlocked read), as a slow request would."""
    for name in ("get_prompt", "get_validator", "get_project"):
        original = getattr(access, name)

        def slow(*args, _original=original, **kwargs):
            result = _original(*args, **kwargs)
            time.sleep(READ_PAUSE)
            return result

        monkeypatch.setattr(access, name, slow)


def run_concurrently(engine: Engine, count: int, work: Callable[[Session, int], Any]) -> list:
    """Run `work(session, i)` in `count` threads at once, each committing its own session.

    Returns, per thread, the result or the exception it raised (the transaction rolled back).
    """
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def runner(index: int) -> None:
        barrier.wait()
        try:
            with Session(engine, expire_on_commit=False) as session:
                try:
                    outcomes[index] = work(session, index)
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except BaseException as exc:  # collected for the test to judge
            outcomes[index] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    unexpected = [
        o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, ServiceError)
    ]
    assert unexpected == [], f"a thread failed with a non-service error: {unexpected[0]!r}"
    return outcomes


@pytest.fixture
def world(db: Engine):
    with Session(db, expire_on_commit=False) as session:
        owner = make_user(session, name="Owner", plan="pro")
        project, prompt = make_prompt(session, owner, content="start")
        session.commit()
    return owner, project, prompt


# --------------------------------------------------------------------------- drafts
def test_of_twenty_saves_on_one_base_exactly_one_wins(db: Engine, world) -> None:
    owner, _, prompt = world
    base = prompt.revision

    def save(session: Session, i: int):
        return drafts.save_draft(
            session, owner, prompt.id, base_revision=base, content=f"text of writer {i}"
        ).revision

    outcomes = run_concurrently(db, 20, save)
    wins = [o for o in outcomes if isinstance(o, int)]
    conflicts = [o for o in outcomes if isinstance(o, drafts.DraftConflict)]
    assert wins == [base + 1]
    assert len(conflicts) == 19
    assert {c.current_revision for c in conflicts} == {base + 1}
    assert all(c.status_code == 409 for c in conflicts)
    winner = outcomes.index(base + 1)
    with Session(db) as session:
        saved = session.get(Prompt, prompt.id)
        assert (saved.revision, saved.content) == (base + 1, f"text of writer {winner}")


def test_read_modify_write_appends_lose_no_acknowledged_write(db: Engine, world) -> None:
    owner, _, prompt = world
    per_thread = 3

    def append_lines(session: Session, i: int) -> list[str]:
        acknowledged = []
        for n in range(per_thread):
            line = f"line {i}.{n}"
            while True:  # what a client does on 409: read again, re-apply, retry
                with Session(db, expire_on_commit=False) as own:
                    current, _ = access.get_prompt(own, owner, prompt.id)
                    try:
                        drafts.save_draft(
                            own,
                            owner,
                            prompt.id,
                            base_revision=current.revision,
                            content=current.content + "\n" + line,
                        )
                        own.commit()
                        acknowledged.append(line)
                        break
                    except drafts.DraftConflict:
                        own.rollback()
        return acknowledged

    outcomes = run_concurrently(db, 12, append_lines)
    acknowledged = [line for lines in outcomes for line in lines]
    assert len(acknowledged) == 12 * per_thread
    with Session(db) as session:
        saved = session.get(Prompt, prompt.id)
        lines = saved.content.split("\n")[1:]
        assert sorted(lines) == sorted(acknowledged)  # 0 lost
        assert saved.revision == prompt.revision + len(acknowledged)


def test_forced_saves_each_overwrite_a_distinct_revision_and_say_which(db: Engine, world) -> None:
    owner, _, prompt = world

    def force(session: Session, i: int) -> int:
        return drafts.save_draft(
            session, owner, prompt.id, base_revision=None, content=f"forced {i}", force=True
        ).revision

    outcomes = run_concurrently(db, 10, force)
    assert sorted(outcomes) == list(range(prompt.revision + 1, prompt.revision + 11))
    with Session(db) as session:
        overwritten = [
            row.details["overwrote_revision"]
            for row in session.exec(select(AuditLog).where(AuditLog.action == "prompt.saved"))
        ]
        assert sorted(overwritten) == list(range(prompt.revision, prompt.revision + 10))


# --------------------------------------------------------------------------- versions, labels
def test_concurrent_versions_get_consecutive_numbers(db: Engine, world) -> None:
    owner, _, prompt = world

    def snapshot(session: Session, i: int) -> int:
        return versions.create_version(session, owner, prompt.id, commit_message=f"v{i}").version

    outcomes = run_concurrently(db, 10, snapshot)
    assert sorted(outcomes) == list(range(1, 11))


def test_concurrent_publishes_leave_one_label_and_one_published_version(db: Engine, world) -> None:
    owner, _, prompt = world
    with Session(db, expire_on_commit=False) as session:
        for n in range(6):
            versions.create_version(session, owner, prompt.id, commit_message=f"v{n}")
        session.commit()

    def publish(session: Session, i: int):
        versions.set_label(session, owner, prompt.id, "production", i % 6 + 1)
        versions.set_label(session, owner, prompt.id, "canary", i % 6 + 1)
        if i % 3 == 0:
            versions.remove_label(session, owner, prompt.id, "canary")

    outcomes = run_concurrently(db, 12, publish)
    assert all(o is None or isinstance(o, NotFound) for o in outcomes)
    with Session(db) as session:
        labels = session.exec(
            select(VersionLabel.name, VersionLabel.version_id).where(
                VersionLabel.prompt_id == prompt.id
            )
        ).all()
        production = [vid for name, vid in labels if name == "production"]
        assert len(production) == 1
        assert len([n for n, _ in labels if n == "canary"]) <= 1
        published = session.exec(
            select(Version.id).where(Version.prompt_id == prompt.id, Version.is_published)
        ).all()
        assert published == production


# --------------------------------------------------------------------------- validators
def test_concurrent_validator_adds_get_distinct_positions_within_the_maximum(
    db: Engine, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, _, prompt = world
    monkeypatch.setattr(validators, "MAX_VALIDATORS_PER_PROMPT", 8)

    def add(session: Session, i: int):
        return validators.add_validator(
            session, owner, prompt.id, type="length", config={"max": 100 + i}
        ).order

    outcomes = run_concurrently(db, 14, add)
    assert sorted(o for o in outcomes if isinstance(o, int)) == list(range(8))
    assert sum(isinstance(o, ValidationFailed) for o in outcomes) == 6


def test_updates_racing_a_delete_answer_not_found_never_crash(db: Engine, world) -> None:
    owner, _, prompt = world
    with Session(db, expire_on_commit=False) as session:
        validator = validators.add_validator(
            session, owner, prompt.id, type="length", config={"max": 10}
        )
        session.commit()

    def work(session: Session, i: int):
        if i == 0:
            validators.delete_validator(session, owner, validator.id)
            return "deleted"
        return validators.update_validator(session, owner, validator.id, config={"max": i}).id

    outcomes = run_concurrently(db, 8, work)
    assert "deleted" in outcomes
    assert all(o == "deleted" or o == validator.id or isinstance(o, NotFound) for o in outcomes)
    with Session(db) as session:
        assert session.get(Validator, validator.id) is None


# --------------------------------------------------------------------------- plan limits, keys
def test_concurrent_project_creates_stay_within_the_plan_limit(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(db, expire_on_commit=False) as session:
        free = make_user(session, plan="free")
        session.commit()
    limit = plans.get_plan("free").max_projects
    original = plans.count_projects

    def slow_count(*args, **kwargs):
        result = original(*args, **kwargs)
        time.sleep(READ_PAUSE)
        return result

    monkeypatch.setattr(plans, "count_projects", slow_count)

    def create(session: Session, i: int):
        return projects.create_project(session, free, name=f"Project {i}").id

    outcomes = run_concurrently(db, 10, create)
    assert sum(isinstance(o, PlanLimitReached) for o in outcomes) == 10 - limit
    with Session(db) as session:
        owned = session.exec(
            select(func.count()).select_from(Project).where(Project.user_id == free.user_id)
        ).one()
        assert owned == limit


def test_concurrent_key_creates_stay_within_the_key_limit_and_revocation_is_audited_once(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_keys, "MAX_KEYS_PER_USER", 3)
    with Session(db, expire_on_commit=False) as session:
        owner = make_user(session)
        session.commit()

    outcomes = run_concurrently(
        db, 10, lambda session, i: api_keys.create_api_key(session, owner, name=f"k{i}")[0].id
    )
    created = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(created) == 3
    assert sum(isinstance(o, ValidationFailed) for o in outcomes) == 7

    outcomes = run_concurrently(
        db, 6, lambda session, i: api_keys.revoke_api_key(session, owner, created[0]).id
    )
    assert outcomes == [created[0]] * 6
    with Session(db) as session:
        assert session.get(ApiKey, created[0]).revoked_at is not None
        revocations = session.exec(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "api_key.revoke")
        ).one()
        assert revocations == 1


# --------------------------------------------------------------------------- accounts
PASSWORD = "correct horse battery staple"


def _local_user(db: Engine):
    with Session(db, expire_on_commit=False) as session:
        principal, _ = auth.sign_up(
            session, email="race@example.com", password=PASSWORD, name="Racer"
        )
        session.commit()
    return principal


def test_two_password_changes_from_the_same_password_one_wins(db: Engine) -> None:
    principal = _local_user(db)

    def change(session: Session, i: int):
        accounts.change_password(
            session, principal, current_password=PASSWORD, new_password=f"new password {i}!"
        )
        return i

    outcomes = run_concurrently(db, 4, change)
    winners = [o for o in outcomes if isinstance(o, int)]
    assert len(winners) == 1
    assert sum(isinstance(o, ValidationFailed) for o in outcomes) == 3
    with Session(db) as session:
        assert auth.sign_in(session, email=principal.email, password=f"new password {winners[0]}!")


def test_a_reset_link_used_twice_at_once_works_once(db: Engine) -> None:
    principal = _local_user(db)
    with Session(db, expire_on_commit=False) as session:
        profile = accounts.get_profile(session, principal)
        token = password_reset.make_reset_token(session, profile)

    def use(session: Session, i: int):
        password_reset.reset_password(session, token, f"reset password {i}!")
        return i

    outcomes = run_concurrently(db, 4, use)
    assert len([o for o in outcomes if isinstance(o, int)]) == 1
    assert sum(isinstance(o, ValidationFailed) for o in outcomes) == 3


def test_profile_updates_racing_account_deletion_answer_not_found(db: Engine) -> None:
    principal = _local_user(db)

    def work(session: Session, i: int):
        if i == 0:
            accounts.delete_account(session, principal, confirmation=principal.email)
            return "deleted"
        return accounts.update_profile(session, principal, name=f"Name {i}").name

    outcomes = run_concurrently(db, 6, work)
    assert "deleted" in outcomes
    assert all(isinstance(o, (str, NotFound)) for o in outcomes)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        first = make_user(session, role="admin", email="first-admin@example.com")
        second = make_user(session, role="admin", email="second-admin@example.com")
        session.commit()
    pairs = [(first, second), (second, first)]

    def demote(session: Session, i: int):
        actor, target = pairs[i % 2]
        if i >= 2:
            return accounts.suspend_user(session, actor, target.user_id).id
        return accounts.set_role(session, actor, target.email, "user").id

    outcomes = run_concurrently(db, 2, demote)
    assert sum(isinstance(o, PermissionDenied) for o in outcomes) == 1
    with Session(db) as session:
        assert accounts.count_admins(session) == 1

    with Session(db, expire_on_commit=False) as session:
        third = make_user(session, role="admin", email="third-admin@example.com")
        session.commit()
    survivor = first if outcomes[0] == second.user_id else second
    pairs[:] = [(survivor, third), (third, survivor)]
    outcomes = run_concurrently(db, 4, demote)  # two demotions, two suspensions, crossed
    with Session(db) as session:
        active_admins = session.exec(
            select(func.count())
            .select_from(Profile)
            .where(Profile.role == "admin", Profile.suspended_at.is_(None))
        ).one()
        assert active_admins >= 1
