"""The comments API (issue 16, item 4) through the real FastAPI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from promptrepo.services import members, projects, prompts, segments, versions
from tests.api.conftest import make_caller


@pytest.fixture
def team(api: TestClient, session: Session):
    owner = make_caller(session, name="Olive Owner")
    editor = make_caller(session, name="Eddie Editor")
    viewer = make_caller(session, name="Vera Viewer")
    outsider = make_caller(session, name="Otto Outsider")
    project = projects.create_project(session, owner.principal, name="Team")
    seg = segments.create_segment(session, owner.principal, project.id, name="S")
    prompt = prompts.create_prompt(session, owner.principal, seg.id, name="p", content="a\nb")
    versions.create_version(session, owner.principal, prompt.id, commit_message="v1")
    for who, role in ((editor, "editor"), (viewer, "viewer")):
        link = members.invite(
            session, owner.principal, project.id, email=who.principal.email, role=role
        ).link
        members.accept_invite(session, who.principal, link.rsplit("/", 1)[1])
    session.commit()
    return owner, editor, viewer, outsider, str(prompt.id)


def test_viewer_comments_on_a_line_mentions_and_the_editor_resolves(api: TestClient, team) -> None:
    owner, editor, viewer, outsider, prompt_id = team
    mention = "@" + editor.principal.email.split("@")[0]
    made = api.post(
        f"/api/v1/prompts/{prompt_id}/comments",
        headers=viewer.headers,
        json={"version": 1, "body": f"{mention} <script>x</script>", "anchor_other": 1,
              "anchor_side": "new", "anchor_line": 2},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    comment = made.json()
    assert comment["anchor_line"] == 2 and comment["author_name"] == "Vera Viewer"
    assert [p for p in comment["parts"] if p["mention"]] == [{"text": mention, "mention": True}]
    mentions = api.get("/api/v1/me/mentions?unread=true", headers=editor.headers).json()
    assert [m["comment_id"] for m in mentions] == [comment["id"]]
    assert api.post("/api/v1/me/mentions/read", headers=editor.headers).status_code == 204
    assert api.get("/api/v1/me/mentions?unread=true", headers=editor.headers).json() == []

    refused = api.post(f"/api/v1/comments/{comment['id']}/resolve", headers=viewer.headers,
                       json={"resolved": True})  # fmt: skip
    assert refused.status_code == 200  # the viewer's own thread
    api.post(f"/api/v1/comments/{comment['id']}/resolve", headers=viewer.headers,
             json={"resolved": False})  # fmt: skip
    done = api.post(f"/api/v1/comments/{comment['id']}/resolve", headers=editor.headers, json={})
    assert done.status_code == 200 and done.json()["resolved_by_name"] == "Eddie Editor"
    listed = api.get(
        f"/api/v1/prompts/{prompt_id}/comments?status=open", headers=owner.headers
    ).json()
    assert (listed["total"], listed["open"], listed["resolved"], listed["threads"]) == (
        1,
        0,
        1,
        [],
    )
    assert api.get(f"/api/v1/comments/{comment['id']}", headers=outsider.headers).status_code == 404
    assert (
        api.get(f"/api/v1/prompts/{prompt_id}/comments", headers=outsider.headers).status_code
        == 404
    )


def test_bad_input_and_other_peoples_comments(api: TestClient, team) -> None:
    owner, editor, viewer, _, prompt_id = team
    url = f"/api/v1/prompts/{prompt_id}/comments"
    empty = api.post(url, headers=viewer.headers, json={"version": 1, "body": "  "})
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    no_line = api.post(url, headers=viewer.headers, json={"version": 1, "body": "x",
                       "anchor_other": 1, "anchor_side": "old", "anchor_line": 30})  # fmt: skip
    assert no_line.status_code == 422 and "no line 30" in no_line.json()["detail"]
    assert (
        api.post(url, headers=viewer.headers, json={"version": 7, "body": "x"}).status_code == 404
    )
    made = api.post(url, headers=viewer.headers, json={"version": 1, "body": "mine"}).json()
    cid = made["id"]
    assert api.patch(f"/api/v1/comments/{cid}", headers=editor.headers,
                     json={"body": "theirs"}).status_code == 403  # fmt: skip
    assert api.delete(f"/api/v1/comments/{cid}", headers=owner.headers).status_code == 403
    edited = api.patch(f"/api/v1/comments/{cid}", headers=viewer.headers, json={"body": "new"})
    assert edited.status_code == 200 and edited.json()["edited_at"]
    reply = api.post(url, headers=owner.headers, json={"body": "ok", "parent_id": cid})
    assert reply.status_code == 201 and reply.json()["version"] == 1
    thread = api.get(url, headers=viewer.headers).json()["threads"][0]
    assert [r["body"] for r in thread["replies"]] == ["ok"]
    assert api.delete(f"/api/v1/comments/{cid}", headers=viewer.headers).status_code == 204
    assert api.get(url, headers=viewer.headers).json()["total"] == 0


def test_no_comment_input_causes_a_server_error(api: TestClient, team) -> None:
    """Arbitrary bodies, anchors and ids (huge numbers, NULs, odd Unicode) get 4xx, never 5xx."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    owner, _, viewer, _, prompt_id = team
    made = api.post(
        f"/api/v1/prompts/{prompt_id}/comments",
        headers=viewer.headers,
        json={"version": 1, "body": "seed"},
    ).json()
    numbers = st.one_of(st.none(), st.integers(-(2**40), 2**40), st.text(max_size=5))
    payload = st.fixed_dictionaries(
        {},
        optional={
            "version": numbers,
            "body": st.one_of(st.text(max_size=300), st.integers()),
            "parent_id": st.one_of(st.just(made["id"]), st.uuids().map(str), st.text(max_size=8)),
            "anchor_other": numbers,
            "anchor_side": st.sampled_from(["old", "new", "left", ""]),
            "anchor_line": numbers,
        },
    )

    @given(body=payload, edit=st.text(max_size=300), status=st.text(max_size=10))
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(body, edit, status) -> None:
        for response in (
            api.post(f"/api/v1/prompts/{prompt_id}/comments", headers=viewer.headers, json=body),
            api.patch(
                f"/api/v1/comments/{made['id']}", headers=viewer.headers, json={"body": edit}
            ),
            api.get(
                f"/api/v1/prompts/{prompt_id}/comments",
                headers=owner.headers,
                params={"status": status, "version": body.get("version") or 1},
            ),
        ):
            assert response.status_code < 500, (body, response.text)

    fuzz()
