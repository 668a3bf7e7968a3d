"""A project's activity (services/activity.py): audit entries and label moves in one list,
newest first, paged and filtered in SQL, for the project's team; the CSV export is the Enterprise plan's.
Runs on SQLite and PostgreSQL, and on PostgreSQL also under row-level security."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promptrepo.db import act_as
from promptrepo.models import AuditLog
from promptrepo.services import activity, drafts, projects, prompts, segments, tags, versions
from promptrepo.services.errors import NotFound, PlanLimitReached, ValidationFailed
from tests.factories import make_user


def busy_project(session: Session, owner, *, public: bool = False):
    project = projects.create_project(session, owner, name="Support", is_public=public)
    main = segments.create_segment(session, owner, project.id, name="Main")
    prompt = prompts.create_prompt(session, owner, main.id, name="Refund reply", content="Hi")
    session.commit()
    drafts.save_draft(session, owner, prompt.id, base_revision=prompt.revision, content="Hello")
    versions.create_version(session, owner, prompt.id, commit_message="first")
    versions.set_label(session, owner, prompt.id, "production", 1, reason="launch")
    tags.set_tags(session, owner, prompt.id, ["billing"])
    versions.create_version(session, owner, prompt.id, commit_message="second")
    versions.set_label(session, owner, prompt.id, "production", 2)
    versions.rollback(session, owner, prompt.id, 1, reason="v2 was rude")
    session.commit()
    return project, prompt


def test_the_feed_lists_who_did_what_newest_first_with_label_moves(session: Session) -> None:
    owner = make_user(session, name="Ada")
    project, prompt = busy_project(session, owner)

    page = activity.list_activity(session, owner, project.id)
    summaries = [e.summary for e in page.items]
    assert summaries == [
        "Moved production of “Refund reply” from v2 to v1: v2 was rude",
        "Moved production of “Refund reply” from v1 to v2",
        "Saved v2 of “Refund reply”: second",
        "Tags of “Refund reply”: added #billing",
        "Pointed production at v1 of “Refund reply”: launch",
        "Saved v1 of “Refund reply”: first",
        "Edited “Refund reply” (content; 1 save)",
        "Added the prompt “Refund reply” to “Main”",
        "Added the segment “Main”",
        "Created the project",
    ]
    assert page.total == 10
    assert {e.actor_name for e in page.items} == {"Ada"}
    assert page.items[0].kind == "labels" and page.items[0].prompt_id == str(prompt.id)
    # The audit log's own label entries are not repeated next to the label moves.
    assert not {e.action for e in page.items} & set(activity.LABEL_ACTIONS)


def test_filters_by_kind_person_and_dates_and_pages_in_sql(session: Session) -> None:
    owner = make_user(session, name="Ada")
    project, _ = busy_project(session, owner)

    def actions(**kw) -> list[str]:
        filters = activity.parse_filters(**kw)
        return [e.action for e in activity.list_activity(session, owner, project.id, filters).items]

    assert actions(kind="labels") == ["label.moved"] * 3
    assert actions(kind="versions") == ["version.created", "version.created"]
    assert actions(kind="tags") == ["prompt.tagged"]
    assert actions(kind="project") == ["project.create"]
    assert len(actions(actor=str(owner.user_id))) == 10
    other = make_user(session)
    assert actions(actor=str(other.user_id)) == []
    today = datetime.now(UTC).date()
    assert len(actions(since=today.isoformat(), until=today.isoformat())) == 10
    assert actions(until=(today - timedelta(days=1)).isoformat()) == []
    assert actions(since=today + timedelta(days=1)) == []

    first = activity.list_activity(session, owner, project.id, page=1, per_page=3)
    third = activity.list_activity(session, owner, project.id, page=3, per_page=3)
    assert (first.total, first.pages, len(first.items), len(third.items)) == (10, 4, 3, 3)

    for bad in ({"kind": "everything"}, {"since": "yesterday"}, {"actor": "bob"},
                {"since": "2026-02-02", "until": "2026-02-01"}):  # fmt: skip
        with pytest.raises(ValidationFailed):
            activity.parse_filters(**bad)
    assert activity.parse_filters(since="2026-01-31").since == date(2026, 1, 31)


def test_only_the_owner_reads_the_activity_even_of_a_public_project(session: Session) -> None:
    owner = make_user(session)
    outsider = make_user(session)
    project, _ = busy_project(session, owner, public=True)
    with pytest.raises(NotFound):
        activity.list_activity(session, outsider, project.id)
    with pytest.raises(NotFound):
        activity.export_csv(session, outsider, project.id)
    read_key = dataclasses.replace(owner, api_key_scope="read")
    assert activity.list_activity(session, read_key, project.id).total == 10
    other_key = dataclasses.replace(
        owner, api_key_scope="read", api_key_project_id=outsider.user_id
    )
    with pytest.raises(NotFound):
        activity.list_activity(session, other_key, project.id)


def test_csv_export_is_enterprise_only_and_safe_for_spreadsheets(session: Session) -> None:
    pro = make_user(session, plan="pro")
    project, _ = busy_project(session, pro)
    with pytest.raises(PlanLimitReached, match="Enterprise"):
        activity.export_csv(session, pro, project.id)

    boss = make_user(session, name="=HYPERLINK(1)", plan="enterprise")
    project, _ = busy_project(session, boss)
    session.add(
        AuditLog(
            actor_id=boss.user_id,
            action="project.create",
            target_type="project",
            target_id=str(project.id),
            created_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
    )
    session.commit()
    text = activity.export_csv(session, boss, project.id)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == activity.CSV_COLUMNS
    assert len(rows) == 1 + 11
    assert rows[1][4] == "label.moved" and rows[1][7].endswith("v2 was rude")
    assert rows[-1][0] == "2020-01-01T00:00:00Z"
    assert {r[1] for r in rows[1:]} == {"'=HYPERLINK(1)"}  # never a formula
    labels_only = activity.export_csv(
        session, boss, project.id, activity.parse_filters(kind="labels")
    )
    assert len(list(csv.reader(io.StringIO(labels_only)))) == 1 + 3


def test_postgresql_row_level_security_lets_the_owner_read_the_feed(
    pg_engine: Engine, pg_app_engine: Engine
) -> None:
    from tests.conftest import truncate_all

    truncate_all(pg_engine)
    with Session(pg_engine, expire_on_commit=False) as seed:
        owner = make_user(seed, name="Ada", plan="enterprise")
        project, _ = busy_project(seed, owner)
    with Session(pg_app_engine, expire_on_commit=False) as session:
        act_as(session, owner.user_id)
        assert activity.list_activity(session, owner, project.id).total == 10
        assert activity.export_csv(session, owner, project.id).count("\r\n") == 11
        assert [a.name for a in activity.actors(session, owner, project.id)] == ["Ada"]
        session.rollback()


def test_adding_renaming_moving_and_deleting_segments_and_prompts_is_in_the_feed(
    session: Session,
) -> None:
    owner = make_user(session, name="Ada", plan="enterprise")
    project = projects.create_project(session, owner, name="Support Bot")
    system = segments.create_segment(session, owner, project.id, name="System")
    reply = prompts.create_prompt(session, owner, system.id, name="support-reply")
    other = segments.create_segment(session, owner, project.id, name="Other")
    doomed = prompts.create_prompt(session, owner, other.id, name="draft-idea")
    session.commit()
    segments.rename_segment(session, owner, other.id, "Extras")
    segments.rename_segment(session, owner, other.id, "Extras")  # no change, no entry
    segments.move_segment(session, owner, other.id, 0)
    prompts.rename_prompt(session, owner, reply.id, "support-answer")
    prompts.move_prompt(session, owner, reply.id, segment_id=other.id, new_index=0)
    prompts.delete_prompt(session, owner, doomed.id)
    segments.delete_segment(session, owner, other.id)  # with support-answer in it
    session.commit()

    page = activity.list_activity(session, owner, project.id)
    assert [e.summary for e in page.items] == [
        "Deleted the segment “Extras” and its 1 prompt",
        "Deleted the prompt “draft-idea” from “Extras”",
        # the entries about support-answer itself went with it; the segment's stay
        "Moved the segment “Extras” to position 1",
        "Renamed the segment “Other” to “Extras”",
        "Added the segment “Other”",
        "Added the segment “System”",
        "Created the project",
    ]
    assert {e.kind for e in page.items[:-1]} == {"contents"}
    contents = activity.parse_filters(kind="contents")
    assert activity.list_activity(session, owner, project.id, contents).total == 6
    project_only = activity.parse_filters(kind="project")
    assert [
        e.action for e in activity.list_activity(session, owner, project.id, project_only).items
    ] == ["project.create"]
    exported = list(
        csv.reader(io.StringIO(activity.export_csv(session, owner, project.id, contents)))
    )
    assert [row[4] for row in exported[1:]] == [
        "segment.deleted",
        "prompt.deleted",
        "segment.moved",
        "segment.renamed",
        "segment.created",
        "segment.created",
    ]


def test_a_prompt_added_renamed_and_moved_shows_with_its_name_and_link(session: Session) -> None:
    owner = make_user(session, name="Ada")
    project = projects.create_project(session, owner, name="Support Bot")
    system = segments.create_segment(session, owner, project.id, name="System")
    replies = segments.create_segment(session, owner, project.id, name="Replies")
    prompt = prompts.create_prompt(session, owner, system.id, name="support-reply")
    prompts.create_prompt(session, owner, replies.id, name="greeting")
    session.commit()
    prompts.rename_prompt(session, owner, prompt.id, "support-answer")
    prompts.move_prompt(session, owner, prompt.id, segment_id=replies.id, new_index=-1)
    prompts.move_prompt(session, owner, prompt.id, new_index=0)
    prompts.move_prompt(session, owner, prompt.id, new_index=0)  # already there: no entry
    session.commit()

    filters = activity.parse_filters(kind="contents")
    items = activity.list_activity(session, owner, project.id, filters).items
    assert [e.summary for e in items] == [
        "Moved “support-answer” to position 1 in “Replies”",
        "Moved “support-answer” from “System” to “Replies” (position 2)",
        "Renamed the prompt “support-reply” to “support-answer”",
        "Added the prompt “greeting” to “Replies”",
        "Added the prompt “support-answer” to “System”",
        "Added the segment “Replies”",
        "Added the segment “System”",
    ]
    assert items[-3].prompt_id == str(prompt.id) and items[-3].prompt_name == "support-answer"
    assert {e.actor_name for e in items} == {"Ada"}
