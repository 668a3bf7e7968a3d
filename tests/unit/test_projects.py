"""Projects, segments and prompts: listing, limits, ordering, forks, the gallery and access."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event
from sqlmodel import Session, func, select

from promptrepo.models import (
    PRODUCTION_LABEL,
    AuditLog,
    Project,
    Prompt,
    Segment,
    Validator,
    Version,
    VersionLabel,
)
from promptrepo.services import forks, gallery, projects, prompts, segments
from promptrepo.services.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    PlanLimitReached,
    ValidationFailed,
)
from promptrepo.services.principal import Principal
from tests.factories import make_user


def build_project(session: Session, owner: Principal, name: str = "Demo", **kw) -> Project:
    """A project with two segments: A (p1, p2) and B (p3)."""
    project = projects.create_project(session, owner, name=name, **kw)
    a = segments.create_segment(session, owner, project.id, name="A")
    b = segments.create_segment(session, owner, project.id, name="B")
    prompts.create_prompt(session, owner, a.id, name="p1", content="one")
    prompts.create_prompt(session, owner, a.id, name="p2", content="two")
    prompts.create_prompt(session, owner, b.id, name="p3", content="three")
    session.commit()
    return project


def layout(session: Session, owner: Principal, project_id) -> list[tuple[str, list[str]]]:
    detail = projects.get_project_detail(session, owner, project_id)
    return [(s.name, [p.name for p in s.prompts]) for s in detail.segments]


def assert_dense(session: Session, project_id) -> None:
    segs = session.exec(select(Segment).where(Segment.project_id == project_id)).all()
    assert sorted(s.order for s in segs) == list(range(len(segs)))
    for s in segs:
        orders = session.exec(select(Prompt.order).where(Prompt.segment_id == s.id)).all()
        assert sorted(orders) == list(range(len(orders))), s.name


# --------------------------------------------------------------------------- create / update
def test_create_project_trims_name_and_records_audit(session: Session) -> None:
    owner = make_user(session)
    project = projects.create_project(session, owner, name="  My prompts  ", description=" d ")
    session.commit()
    assert project.name == "My prompts" and project.description == "d"
    assert not project.is_public
    assert session.exec(select(AuditLog).where(AuditLog.action == "project.create")).first()


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_project_rejects_bad_names(session: Session, name: str) -> None:
    owner = make_user(session)
    with pytest.raises(ValidationFailed) as exc:
        projects.create_project(session, owner, name=name)
    assert exc.value.errors[0]["loc"] == ["name"]


def test_project_names_are_unique_per_user_not_globally(session: Session) -> None:
    alice, bob = make_user(session), make_user(session)
    projects.create_project(session, alice, name="Demo")
    with pytest.raises(Conflict, match="already have a project named"):
        projects.create_project(session, alice, name="demo")
    projects.create_project(session, bob, name="Demo")
    session.commit()


def test_rename_to_a_taken_name_is_refused(session: Session) -> None:
    owner = make_user(session)
    projects.create_project(session, owner, name="One")
    two = projects.create_project(session, owner, name="Two")
    session.commit()
    with pytest.raises(Conflict):
        projects.update_project(session, owner, two.id, name="One")
    session.rollback()
    updated = projects.update_project(
        session, owner, two.id, name="Three", description="new", is_public=True
    )
    session.commit()
    assert (updated.name, updated.description, updated.is_public) == ("Three", "new", True)


def test_free_plan_allows_three_projects_and_creates_nothing_more(session: Session) -> None:
    owner = make_user(session)
    for i in range(3):
        projects.create_project(session, owner, name=f"P{i}")
    session.commit()
    with pytest.raises(PlanLimitReached, match="/pricing"):
        projects.create_project(session, owner, name="P3")
    session.rollback()
    assert session.exec(select(func.count()).select_from(Project)).one() == 3


def test_pro_plan_has_no_project_limit(session: Session) -> None:
    owner = make_user(session, plan="pro")
    for i in range(5):
        projects.create_project(session, owner, name=f"P{i}")
    session.commit()


def test_prompt_limit_counts_prompts_across_projects(session: Session) -> None:
    owner = make_user(session)
    project = projects.create_project(session, owner, name="Big")
    seg = segments.create_segment(session, owner, project.id, name="S")
    session.add_all(Prompt(segment_id=seg.id, name=f"p{i}", order=i) for i in range(99))
    session.commit()
    prompts.create_prompt(session, owner, seg.id, name="hundredth")
    session.commit()
    with pytest.raises(PlanLimitReached, match="100 prompts"):
        prompts.create_prompt(session, owner, seg.id, name="too many")
    session.rollback()
    assert session.exec(select(func.count()).select_from(Prompt)).one() == 100


def test_delete_project_removes_children(session: Session) -> None:
    owner = make_user(session)
    project = build_project(session, owner)
    prompt = session.exec(select(Prompt)).first()
    version = Version(prompt_id=prompt.id, version=1, content="x")
    session.add(version)
    session.flush()
    session.add(VersionLabel(prompt_id=prompt.id, version_id=version.id, name=PRODUCTION_LABEL))
    session.add(Validator(prompt_id=prompt.id, type="length", config={"max": 5}))
    session.commit()
    projects.delete_project(session, owner, project.id)
    session.commit()
    for model in (Project, Segment, Prompt, Version, VersionLabel, Validator):
        assert session.exec(select(func.count()).select_from(model)).one() == 0, model


# --------------------------------------------------------------------------- listing
def test_list_projects_paginates_searches_sorts_and_counts(session: Session) -> None:
    owner = make_user(session, plan="pro")
    other = make_user(session)
    build_project(session, owner, name="Alpha")
    for name in ["beta", "Gamma", "Delta 50%"]:
        projects.create_project(session, owner, name=name)
    projects.create_project(session, other, name="Alpha elsewhere")
    session.commit()

    page = projects.list_projects(session, owner, sort="name", per_page=3)
    assert page.total == 4 and page.pages == 2
    assert [p.name for p in page.items] == ["Alpha", "beta", "Delta 50%"]
    alpha = page.items[0]
    assert (alpha.segment_count, alpha.prompt_count) == (2, 3)
    page2 = projects.list_projects(session, owner, sort="name", page=2, per_page=3)
    assert [p.name for p in page2.items] == ["Gamma"]

    newest_first = projects.list_projects(session, owner, sort="updated")
    assert newest_first.items[0].name == "Delta 50%"
    assert [p.name for p in projects.list_projects(session, owner, search="ALP").items] == ["Alpha"]
    assert [p.name for p in projects.list_projects(session, owner, search="50%").items] == [
        "Delta 50%"
    ]
    assert projects.list_projects(session, owner, search="%").total == 1


def test_list_projects_uses_the_same_number_of_queries_for_any_size(
    session: Session, engine
) -> None:
    owner = make_user(session, plan="pro")

    def count_queries() -> int:
        statements: list[str] = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            projects.list_projects(session, owner)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    build_project(session, owner, name="first")
    small = count_queries()
    for i in range(30):
        build_project(session, owner, name=f"p{i}")
    assert count_queries() == small <= 2


def test_list_projects_needs_a_user(session: Session) -> None:
    with pytest.raises(NotAuthenticated):
        projects.list_projects(session, None)


def test_gallery_lists_public_projects_with_owner_and_never_private(session: Session) -> None:
    alice = make_user(session, name="Alice")
    bob = make_user(session, name="Bob")
    projects.create_project(
        session, alice, name="Open", description="A helpful one", is_public=True
    )
    projects.create_project(session, alice, name="Secret")
    projects.create_project(session, bob, name="Bob's open", is_public=True)
    session.commit()
    page = gallery.list_public_projects(session, sort="name")
    assert [(p.name, p.owner_name) for p in page.items] == [
        ("Bob's open", "Bob"),
        ("Open", "Alice"),
    ]
    assert [p.name for p in gallery.list_public_projects(session, search="helpful").items] == [
        "Open"
    ]
    assert gallery.list_public_projects(session, search="Secret").total == 0


# --------------------------------------------------------------------------- ordering
def test_segments_and_prompts_are_created_in_order(session: Session) -> None:
    owner = make_user(session)
    project = build_project(session, owner)
    assert layout(session, owner, project.id) == [("A", ["p1", "p2"]), ("B", ["p3"])]
    assert projects.compose_project(session, owner, project.id) == "one\n\ntwo\n\nthree"
    assert_dense(session, project.id)


def test_move_segment_reorders_and_keeps_orders_dense(session: Session) -> None:
    owner = make_user(session)
    project = build_project(session, owner)
    c = segments.create_segment(session, owner, project.id, name="C", index=0)
    session.commit()
    assert [s for s, _ in layout(session, owner, project.id)] == ["C", "A", "B"]
    segments.move_segment(session, owner, c.id, 99)
    session.commit()
    assert [s for s, _ in layout(session, owner, project.id)] == ["A", "B", "C"]
    segments.move_segment(session, owner, c.id, 1)
    session.commit()
    assert [s for s, _ in layout(session, owner, project.id)] == ["A", "C", "B"]
    segments.delete_segment(session, owner, c.id)
    session.commit()
    assert [s for s, _ in layout(session, owner, project.id)] == ["A", "B"]
    assert_dense(session, project.id)


def test_move_prompt_within_and_across_segments(session: Session) -> None:
    owner = make_user(session)
    project = build_project(session, owner)
    detail = projects.get_project_detail(session, owner, project.id)
    a, b = detail.segments
    p1, p2 = a.prompts
    prompts.move_prompt(session, owner, p2.id, new_index=0)
    session.commit()
    assert layout(session, owner, project.id) == [("A", ["p2", "p1"]), ("B", ["p3"])]
    prompts.move_prompt(session, owner, p2.id, segment_id=b.id, new_index=0)
    session.commit()
    assert layout(session, owner, project.id) == [("A", ["p1"]), ("B", ["p2", "p3"])]
    assert projects.compose_project(session, owner, project.id) == "one\n\ntwo\n\nthree"
    prompts.move_prompt(session, owner, p1.id, segment_id=b.id, new_index=-1)
    session.commit()
    assert layout(session, owner, project.id) == [("A", []), ("B", ["p2", "p3", "p1"])]
    assert projects.compose_project(session, owner, project.id) == "two\n\nthree\n\none"
    prompts.delete_prompt(session, owner, p2.id)
    session.commit()
    assert layout(session, owner, project.id) == [("A", []), ("B", ["p3", "p1"])]
    assert_dense(session, project.id)


def test_prompt_cannot_move_to_another_project(session: Session) -> None:
    owner = make_user(session, plan="pro")
    one = build_project(session, owner, name="One")
    two = build_project(session, owner, name="Two")
    p = projects.get_project_detail(session, owner, one.id).segments[0].prompts[0]
    target = projects.get_project_detail(session, owner, two.id).segments[0]
    with pytest.raises(NotFound):
        prompts.move_prompt(session, owner, p.id, segment_id=target.id, new_index=0)


def test_rename_and_list(session: Session) -> None:
    owner = make_user(session)
    project = build_project(session, owner)
    detail = projects.get_project_detail(session, owner, project.id)
    segments.rename_segment(session, owner, detail.segments[0].id, "  Intro ")
    prompts.rename_prompt(session, owner, detail.segments[0].prompts[0].id, name="first")
    session.commit()
    assert [s.name for s in segments.list_segments(session, owner, project.id)] == ["Intro", "B"]
    assert [p.name for p in prompts.list_prompts(session, owner, detail.segments[0].id)] == [
        "first",
        "p2",
    ]
    with pytest.raises(ValidationFailed):
        prompts.rename_prompt(session, owner, detail.segments[0].prompts[0].id, name=" ")


# --------------------------------------------------------------------------- forks & duplicates
def _publish(session: Session, prompt_id, content: str) -> None:
    v1 = Version(prompt_id=prompt_id, version=1, content="old")
    v2 = Version(prompt_id=prompt_id, version=2, content=content, is_published=True)
    session.add_all([v1, v2])
    session.flush()
    session.add(VersionLabel(prompt_id=prompt_id, version_id=v2.id, name=PRODUCTION_LABEL))
    session.commit()


def test_fork_copies_content_validators_and_published_version(session: Session) -> None:
    alice = make_user(session, name="Alice")
    bob = make_user(session, name="Bob")
    original = build_project(session, alice, name="Shared", is_public=True)
    p1 = projects.get_project_detail(session, alice, original.id).segments[0].prompts[0]
    session.add(Validator(prompt_id=uuid.UUID(p1.id), type="contains", config={"text": "o"}))
    session.exec(select(Prompt).where(Prompt.id == uuid.UUID(p1.id))).one().variables = {
        "x": {"type": "string"}
    }
    _publish(session, uuid.UUID(p1.id), "published text")

    fork = forks.fork_project(session, bob, original.id)
    session.commit()
    assert fork.user_id == bob.user_id and fork.forked_from_id == original.id
    assert not fork.is_public and fork.name == "Shared"
    assert layout(session, bob, fork.id) == [("A", ["p1", "p2"]), ("B", ["p3"])]
    detail = projects.get_project_detail(session, bob, fork.id)
    assert detail.forked_from_name == "Shared"
    copied = detail.segments[0].prompts[0]
    assert copied.published_version == 2
    copied_row = session.get(Prompt, uuid.UUID(copied.id))
    assert copied_row.variables == {"x": {"type": "string"}}
    assert session.exec(
        select(Validator).where(Validator.prompt_id == copied_row.id)
    ).one().config == {"text": "o"}
    versions = session.exec(select(Version).where(Version.prompt_id == copied_row.id)).all()
    assert [(v.version, v.content) for v in versions] == [(2, "published text")]
    session.refresh(original)
    assert original.fork_count == 1
    assert gallery.list_public_projects(session).items[0].fork_count == 1

    second = forks.fork_project(session, bob, original.id)
    session.commit()
    assert second.name == "Shared (fork)"
    projects.delete_project(session, bob, second.id)
    session.commit()
    session.refresh(original)
    assert original.fork_count == 1


def test_fork_respects_plan_limits_and_creates_nothing(session: Session) -> None:
    alice = make_user(session, plan="pro")
    bob = make_user(session)
    original = projects.create_project(session, alice, name="Huge", is_public=True)
    seg = segments.create_segment(session, alice, original.id, name="S")
    session.add_all(Prompt(segment_id=seg.id, name=f"p{i}", order=i) for i in range(101))
    session.commit()
    with pytest.raises(PlanLimitReached):
        forks.fork_project(session, bob, original.id)
    session.rollback()
    assert session.exec(select(func.count()).select_from(Project)).one() == 1
    session.refresh(original)
    assert original.fork_count == 0


def test_cannot_fork_private_or_own_project(session: Session) -> None:
    alice, bob = make_user(session), make_user(session)
    private = projects.create_project(session, alice, name="Private")
    public = projects.create_project(session, alice, name="Public", is_public=True)
    session.commit()
    with pytest.raises(NotFound):
        forks.fork_project(session, bob, private.id)
    with pytest.raises(Conflict):
        forks.fork_project(session, alice, public.id)
    with pytest.raises(NotAuthenticated):
        forks.fork_project(session, None, public.id)


def test_duplicate_copies_into_a_private_copy(session: Session) -> None:
    owner = make_user(session)
    project = build_project(session, owner, is_public=True)
    copy = forks.duplicate_project(session, owner, project.id)
    session.commit()
    assert copy.name == "Demo (copy)" and not copy.is_public and copy.forked_from_id is None
    assert layout(session, owner, copy.id) == layout(session, owner, project.id)


# --------------------------------------------------------------------------- access
def test_outsider_gets_not_found_from_every_service(session: Session) -> None:
    owner = make_user(session)
    outsider = make_user(session)
    project = build_project(session, owner, name="Secret")
    detail = projects.get_project_detail(session, owner, project.id)
    seg_id = detail.segments[0].id
    prompt_id = detail.segments[0].prompts[0].id
    calls = [
        lambda p: projects.get_project_detail(session, p, project.id),
        lambda p: projects.compose_project(session, p, project.id),
        lambda p: projects.update_project(session, p, project.id, name="x"),
        lambda p: projects.delete_project(session, p, project.id),
        lambda p: forks.duplicate_project(session, p, project.id),
        lambda p: forks.fork_project(session, p, project.id),
        lambda p: segments.list_segments(session, p, project.id),
        lambda p: segments.create_segment(session, p, project.id, name="x"),
        lambda p: segments.rename_segment(session, p, seg_id, "x"),
        lambda p: segments.move_segment(session, p, seg_id, 1),
        lambda p: segments.delete_segment(session, p, seg_id),
        lambda p: prompts.list_prompts(session, p, seg_id),
        lambda p: prompts.create_prompt(session, p, seg_id, name="x"),
        lambda p: prompts.rename_prompt(session, p, prompt_id, "x"),
        lambda p: prompts.move_prompt(session, p, prompt_id, new_index=1),
        lambda p: prompts.delete_prompt(session, p, prompt_id),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call(outsider)
        session.rollback()
    for call in calls[:2] + calls[6:7] + calls[11:12]:  # the reads, signed out
        with pytest.raises(NotFound):
            call(None)
    assert layout(session, owner, project.id) == [("A", ["p1", "p2"]), ("B", ["p3"])]


def test_public_project_is_readable_but_not_writable_by_others(session: Session) -> None:
    owner = make_user(session)
    outsider = make_user(session)
    project = build_project(session, owner, is_public=True)
    detail = projects.get_project_detail(session, None, project.id)
    assert not detail.is_owner and detail.owner_name == "Test User"
    assert projects.compose_project(session, outsider, project.id) == "one\n\ntwo\n\nthree"
    with pytest.raises(PermissionDenied):
        segments.create_segment(session, outsider, project.id, name="x")
    with pytest.raises(PermissionDenied):
        prompts.move_prompt(session, outsider, detail.segments[0].prompts[0].id, new_index=1)
    with pytest.raises(NotAuthenticated):
        projects.update_project(session, None, project.id, name="x")


def test_read_only_api_key_cannot_change_anything(session: Session) -> None:
    owner = make_user(session)
    project = build_project(session, owner)
    read_only = Principal(owner.user_id, owner.email, owner.name, api_key_scope="read")
    assert projects.list_projects(session, read_only).total == 1
    with pytest.raises(PermissionDenied):
        projects.create_project(session, read_only, name="New")
    with pytest.raises(PermissionDenied):
        segments.create_segment(session, read_only, project.id, name="x")


# --------------------------------------------------------------------------- live updates
def test_every_change_is_announced_on_the_project_and_owner_topics(
    session: Session, kv_backend: str
) -> None:
    import asyncio

    from promptrepo.services import events
    from promptrepo.services.changes import project_topic, user_topic
    from tests.support.run_async import run_async

    owner = make_user(session)
    project = build_project(session, owner)
    detail = projects.get_project_detail(session, owner, project.id)
    seg_id, prompt_id = detail.segments[0].id, detail.segments[0].prompts[0].id
    changes = [
        lambda: segments.create_segment(session, owner, project.id, name="New"),
        lambda: segments.rename_segment(session, owner, seg_id, "Renamed"),
        lambda: segments.move_segment(session, owner, seg_id, 1),
        lambda: prompts.create_prompt(session, owner, seg_id, name="q"),
        lambda: prompts.rename_prompt(session, owner, prompt_id, "r"),
        lambda: prompts.move_prompt(session, owner, prompt_id, new_index=1),
        lambda: prompts.delete_prompt(session, owner, prompt_id),
        lambda: projects.update_project(session, owner, project.id, description="d"),
    ]

    async def scenario() -> list[dict]:
        received: list[dict] = []

        async def listen() -> None:
            topics = [project_topic(project.id), user_topic(owner.user_id)]
            async for message in events.subscribe(topics):
                received.append(message)
                if len(received) == 2 * len(changes):
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.2)

        def apply_all() -> None:
            for change in changes:
                change()
                session.commit()

        await asyncio.to_thread(apply_all)
        await asyncio.wait_for(task, 5)
        return received

    received = run_async(scenario())
    assert {m["topic"] for m in received} == {
        f"project:{project.id}",
        f"user:{owner.user_id}",
    }
    assert all(m["project_id"] == str(project.id) for m in received)
