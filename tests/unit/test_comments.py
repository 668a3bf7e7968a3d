"""Comments on versions and diff lines, with mentions (issue 16, item 4). Runs on SQLite and on
PostgreSQL (as the owner of the tables; the row-level-security side is
tests/unit/test_comments_rls.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session, select

from promptrepo.models import CommentMention, Notification, Prompt
from promptrepo.services import comments, events, versions
from promptrepo.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import add_member, make_user
from tests.prompt_factories import make_prompt


@pytest.fixture
def team(session: Session):
    owner = make_user(session, name="Olive Owner", email=f"olive-{uuid.uuid4().hex[:4]}@x.io")
    editor = make_user(session, name="Eddie Editor", email=f"eddie-{uuid.uuid4().hex[:4]}@x.io")
    viewer = make_user(session, name="Vera Viewer", email=f"vera-{uuid.uuid4().hex[:4]}@x.io")
    outsider = make_user(session, name="Otto Outsider", email=f"otto-{uuid.uuid4().hex[:4]}@x.io")
    project, prompt = make_prompt(
        session, owner, content="Hello\nWorld\nBye", name="greeting", project_name="Team project"
    )
    for who, role in ((editor, "editor"), (viewer, "viewer")):
        add_member(session, owner, project.id, who, role)
    versions.create_version(session, owner, prompt.id, commit_message="one")
    session.commit()
    return owner, editor, viewer, outsider, project, prompt


def handle(principal) -> str:
    return "@" + principal.email.split("@")[0]


def test_a_viewer_comments_and_everyone_in_the_team_reads_it(session: Session, team) -> None:
    owner, editor, viewer, outsider, _, prompt = team
    made = comments.add_comment(session, viewer, prompt.id, version=1, body="  Looks <b>ok</b>  ")
    session.commit()
    assert made.body == "Looks <b>ok</b>"  # kept as written; pages show it as text
    assert made.author_name == "Vera Viewer"
    for who in (owner, editor, viewer):
        listed = comments.list_comments(session, who, prompt.id, version=1)
        assert [t.id for t in listed.threads] == [made.id]
        assert (listed.total, listed.open, listed.resolved) == (1, 1, 0)
    with pytest.raises(NotFound):
        comments.list_comments(session, outsider, prompt.id)
    with pytest.raises(NotFound):
        comments.add_comment(session, outsider, prompt.id, version=1, body="hi")
    with pytest.raises(NotFound):
        comments.edit_comment(session, outsider, made.id, body="mine now")


def test_public_readers_outside_the_team_do_not_see_comments(session: Session, team) -> None:
    owner, _, viewer, outsider, project, prompt = team
    comments.add_comment(session, viewer, prompt.id, version=1, body="internal note")
    project.is_public = True
    session.add(project)
    session.commit()
    with pytest.raises(PermissionDenied):
        comments.list_comments(session, outsider, prompt.id)
    with pytest.raises(PermissionDenied):
        comments.add_comment(session, outsider, prompt.id, version=1, body="drive-by")


def test_bad_input_gets_a_clear_error(session: Session, team) -> None:
    owner, *_, prompt = team
    with pytest.raises(ValidationFailed, match="empty"):
        comments.add_comment(session, owner, prompt.id, version=1, body="   ")
    with pytest.raises(ValidationFailed, match="at most"):
        comments.add_comment(session, owner, prompt.id, version=1, body="x" * 5001)
    with pytest.raises(NotFound, match="Version 9"):
        comments.add_comment(session, owner, prompt.id, version=9, body="hi")
    with pytest.raises(ValidationFailed, match="no line 4"):
        comments.add_comment(
            session, owner, prompt.id, version=1, body="hi", anchor_other=1,
            anchor_side="new", anchor_line=4,
        )  # fmt: skip
    with pytest.raises(ValidationFailed, match="needs"):
        comments.add_comment(session, owner, prompt.id, version=1, body="hi", anchor_line=2)
    with pytest.raises(ValidationFailed, match="old"):
        comments.add_comment(
            session, owner, prompt.id, version=1, body="hi", anchor_other=1,
            anchor_side="left", anchor_line=2,
        )  # fmt: skip


def test_a_line_comment_keeps_its_anchor_and_replies_join_the_thread(
    session: Session, team
) -> None:
    owner, editor, viewer, _, _, prompt = team
    session.get(Prompt, prompt.id).content = "Hello\nthere\nWorld"
    versions.create_version(session, owner, prompt.id, commit_message="two")
    session.commit()
    thread = comments.add_comment(
        session, viewer, prompt.id, version=2, body="Why 'there'?",
        anchor_other=1, anchor_side="new", anchor_line=2,
    )  # fmt: skip
    reply = comments.add_comment(
        session, editor, prompt.id, version=None, body="Friendlier.", parent_id=thread.id
    )
    session.commit()
    assert (reply.version, reply.anchor_other, reply.anchor_side, reply.anchor_line) == (
        2,
        1,
        "new",
        2,
    )
    listed = comments.list_comments(session, owner, prompt.id, version=2)
    assert len(listed.threads) == 1 and [r.id for r in listed.threads[0].replies] == [reply.id]
    assert comments.list_comments(session, owner, prompt.id, version=1).threads == []


def test_mentions_are_stored_highlighted_and_notified(session: Session, team) -> None:
    owner, editor, viewer, outsider, _, prompt = team
    published = []
    original = events.publish_many
    events.publish_many = lambda topics, payload: published.extend(  # type: ignore
        (topic, payload) for topic in topics
    )
    try:
        made = comments.add_comment(
            session,
            viewer,
            prompt.id,
            version=1,
            body=f"{handle(editor)} and @Olive, see this; not {handle(outsider)} nor a@b.com.",
        )
        session.commit()
    finally:
        events.publish_many = original  # type: ignore
    assert sorted(m.user_id for m in made.mentions) == sorted(
        [str(editor.user_id), str(owner.user_id)]
    )
    highlighted = [p.text for p in made.parts if p.mention]
    assert highlighted == [handle(editor), "@Olive"]
    assert "".join(p.text for p in made.parts) == made.body
    told = {topic for topic, payload in published if payload.get("kind") == "comment.mention"}
    assert told == {f"notifications:{editor.user_id}", f"notifications:{owner.user_id}"}
    bells = session.exec(select(Notification).where(Notification.kind == "comment.mention")).all()
    assert sorted(str(n.user_id) for n in bells) == sorted(
        [str(editor.user_id), str(owner.user_id)]
    )
    assert all(n.link.endswith(f"?comment={made.id}") for n in bells)
    assert "Vera Viewer mentioned you on “greeting” v1" in bells[0].text
    assert [m.comment_id for m in comments.my_mentions(session, editor)] == [made.id]
    assert comments.my_mentions(session, outsider) == []
    assert comments.mark_mentions_read(session, editor) == 1
    assert comments.my_mentions(session, editor, unread_only=True) == []


def test_an_ambiguous_handle_mentions_nobody(session: Session, team) -> None:
    owner, editor, viewer, _, project, prompt = team
    other = make_user(session, name="Eddie Second", email=f"ed2-{uuid.uuid4().hex[:4]}@x.io")
    add_member(session, owner, project.id, other, "viewer")
    made = comments.add_comment(session, viewer, prompt.id, version=1, body="@eddie?")
    assert made.mentions == []
    assert not any(p.mention for p in made.parts)


def test_editing_notifies_only_the_newly_mentioned(session: Session, team) -> None:
    owner, editor, viewer, _, _, prompt = team
    made = comments.add_comment(session, viewer, prompt.id, version=1, body=handle(editor))
    session.commit()
    edited = comments.edit_comment(
        session, viewer, made.id, body=f"{handle(editor)} {handle(owner)}"
    )
    session.commit()
    assert edited.edited_at is not None
    bells = session.exec(select(Notification).where(Notification.kind == "comment.mention")).all()
    assert sorted(str(n.user_id) for n in bells) == sorted(
        [str(editor.user_id), str(owner.user_id)]
    )
    rows = session.exec(
        select(CommentMention).where(CommentMention.comment_id == uuid.UUID(made.id))
    ).all()
    assert sorted(str(r.user_id) for r in rows) == sorted([str(editor.user_id), str(owner.user_id)])
    comments.edit_comment(session, viewer, made.id, body="nobody now")
    session.commit()
    assert not session.exec(
        select(CommentMention).where(CommentMention.comment_id == uuid.UUID(made.id))
    ).all()


def test_only_authors_edit_and_delete_their_comments(session: Session, team) -> None:
    owner, editor, viewer, _, _, prompt = team
    made = comments.add_comment(session, viewer, prompt.id, version=1, body="mine")
    reply = comments.add_comment(
        session, editor, prompt.id, version=1, body="reply", parent_id=made.id
    )
    session.commit()
    for who in (owner, editor):
        with pytest.raises(PermissionDenied):
            comments.edit_comment(session, who, made.id, body="theirs")
        with pytest.raises(PermissionDenied):
            comments.delete_comment(session, who, made.id)
    comments.delete_comment(session, viewer, made.id)
    session.commit()
    assert comments.list_comments(session, owner, prompt.id).threads == []
    with pytest.raises(NotFound):
        comments.get_comment(session, owner, reply.id)  # the thread took its replies along


def test_editors_and_the_owner_resolve_any_thread_viewers_only_their_own(
    session: Session, team
) -> None:
    owner, editor, viewer, _, _, prompt = team
    by_editor = comments.add_comment(session, editor, prompt.id, version=1, body="a")
    by_viewer = comments.add_comment(session, viewer, prompt.id, version=1, body="b")
    session.commit()
    with pytest.raises(PermissionDenied):
        comments.set_resolved(session, viewer, by_editor.id, True)
    assert comments.set_resolved(session, viewer, by_viewer.id, True).resolved_at
    done = comments.set_resolved(session, editor, by_editor.id, True)
    assert done.resolved_by_name == "Eddie Editor"
    session.commit()
    listed = comments.list_comments(session, owner, prompt.id, status="open")
    assert (listed.total, listed.open, listed.resolved, listed.threads) == (2, 0, 2, [])
    assert comments.set_resolved(session, owner, by_editor.id, False).resolved_at is None
    session.commit()
    assert [
        t.id for t in comments.list_comments(session, owner, prompt.id, status="open").threads
    ] == [by_editor.id]


def test_deleting_a_version_deletes_its_comments(session: Session, team) -> None:
    owner, _, viewer, _, _, prompt = team
    session.get(Prompt, prompt.id).content = "v2"
    versions.create_version(session, owner, prompt.id, commit_message="two")
    made = comments.add_comment(session, viewer, prompt.id, version=2, body=handle(owner))
    session.commit()
    versions.delete_version(session, owner, prompt.id, 2)
    session.commit()
    with pytest.raises(NotFound):
        comments.get_comment(session, owner, made.id)
    assert comments.my_mentions(session, owner) == []


def test_a_read_only_key_reads_but_does_not_write(session: Session, team) -> None:
    from dataclasses import replace

    owner, _, viewer, _, _, prompt = team
    read_only = replace(viewer, api_key_scope="read")
    comments.add_comment(session, viewer, prompt.id, version=1, body="x")
    assert comments.list_comments(session, read_only, prompt.id).total == 1
    with pytest.raises(PermissionDenied):
        comments.add_comment(session, read_only, prompt.id, version=1, body="y")


def test_a_thread_outlives_the_other_version_of_its_diff(session: Session, team) -> None:
    owner, editor, viewer, _, _, prompt = team
    session.get(Prompt, prompt.id).content = "Hello\nthere"
    versions.create_version(session, owner, prompt.id, commit_message="two")
    thread = comments.add_comment(
        session, viewer, prompt.id, version=1, body="old line", anchor_other=2,
        anchor_side="old", anchor_line=1,
    )  # fmt: skip
    versions.delete_version(session, owner, prompt.id, 2)
    session.commit()
    reply = comments.add_comment(
        session, editor, prompt.id, version=None, body="still here", parent_id=thread.id
    )
    assert (reply.version, reply.anchor_other, reply.anchor_line) == (1, 2, 1)
