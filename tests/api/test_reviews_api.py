"""Reviewed releases over HTTP (issue 16 item 2): with "production needs review" on, direct
production moves answer 409 problem+json saying how to propose (REST and the Langfuse PATCH);
an editor proposes, the owner approves (self-approval 403), the label moves and the history
says so; rejections need a reason; notifications list and mark read."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.conftest import Caller, make_caller


@pytest.fixture
def reviewed(api: TestClient, session: Session, owner: Caller) -> dict:
    """The owner's prompt (v1 live, v2 ready), an editor who joined by invitation with a
    project key, and review turned on."""
    editor = make_caller(session, name="Eddie Editor")
    h = owner.headers
    project = api.post("/api/v1/projects", json={"name": "Bot"}, headers=h).json()
    segment = api.post(
        f"/api/v1/projects/{project['id']}/segments", json={"name": "support"}, headers=h
    ).json()
    prompt = api.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={"name": "greeting", "content": "v0"},
        headers=h,
    ).json()
    base = f"/api/v1/prompts/{prompt['id']}"
    for n in (1, 2):
        current = api.get(base, headers=h).json()
        api.patch(
            base, json={"base_revision": current["revision"], "content": f"Hi v{n}"}, headers=h
        )
        assert api.post(f"{base}/versions", json={}, headers=h).status_code == 201
    assert api.put(f"{base}/labels/production", json={"version": 1}, headers=h).status_code == 200
    invite = api.post(
        f"/api/v1/projects/{project['id']}/invites",
        json={"email": editor.principal.email, "role": "editor"},
        headers=h,
    ).json()
    token = invite["link"].rsplit("/", 1)[1]
    assert api.post(f"/api/v1/invites/{token}/accept", headers=editor.headers).status_code == 200
    key = api.post(
        "/api/v1/api-keys",
        json={"name": "lf", "scope": "write", "project_id": project["id"]},
        headers=editor.headers,
    ).json()
    basic = base64.b64encode(f"{key['public_key']}:{key['secret']}".encode()).decode()
    turned = api.patch(
        f"/api/v1/projects/{project['id']}", json={"production_needs_review": True}, headers=h
    )
    assert turned.status_code == 200 and turned.json()["production_needs_review"] is True
    return {
        "project": project["id"],
        "base": base,
        "editor": editor,
        "basic": {"Authorization": f"Basic {basic}"},
    }


def _live(api: TestClient, base: str, owner: Caller) -> int:
    return api.get(f"{base}/resolve", headers=owner.headers).json()["version"]


def test_only_the_owner_turns_review_on(api: TestClient, owner: Caller, reviewed) -> None:
    refused = api.patch(
        f"/api/v1/projects/{reviewed['project']}",
        json={"production_needs_review": False},
        headers=reviewed["editor"].headers,
    )
    assert refused.status_code == 403


def test_direct_moves_answer_409_saying_how_to_propose(
    api: TestClient, owner: Caller, reviewed
) -> None:
    base, editor = reviewed["base"], reviewed["editor"]
    for who in (owner, editor):
        for method, url, body in (
            ("PUT", f"{base}/labels/production", {"version": 2}),
            ("DELETE", f"{base}/labels/production", None),
            (
                "PUT",
                f"{base}/labels/production/split",
                {"arms": [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}]},
            ),
        ):
            response = api.request(method, url, json=body, headers=who.headers)
            assert response.status_code == 409, response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["title"] == "Review required"
            assert problem["review_required"] is True
            assert problem["how_to_propose"]["propose"] == f"{base}/proposals"
    langfuse = api.patch(
        "/api/public/v2/prompts/support%2Fgreeting/versions/2",
        json={"newLabels": ["production"]},
        headers=reviewed["basic"],
    )
    assert langfuse.status_code == 409, langfuse.text
    assert langfuse.headers["content-type"] == "application/problem+json"
    assert "review" in langfuse.json()["message"] and langfuse.json()["review_required"]
    assert _live(api, base, owner) == 1
    staging = api.put(f"{base}/labels/staging", json={"version": 2}, headers=editor.headers)
    assert staging.status_code == 200  # only production needs review


def test_editor_proposes_owner_approves_and_the_label_moves(
    api: TestClient, owner: Caller, reviewed
) -> None:
    base, editor = reviewed["base"], reviewed["editor"]
    proposed = api.post(
        f"{base}/proposals", json={"version": 2, "message": "v2 fixes tone"}, headers=editor.headers
    )
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    assert (proposal["status"], proposal["base"], proposal["change"]) == ("open", "v1", "v2")
    bell = api.get("/api/v1/notifications", headers=owner.headers).json()
    assert bell["unread"] == 1
    assert bell["items"][0]["link"].endswith(f"?proposal={proposal['id']}")
    assert "Eddie Editor proposes" in bell["items"][0]["text"]
    listed = api.get(f"{base}/proposals?status=open", headers=owner.headers).json()
    assert [p["id"] for p in listed] == [proposal["id"]]

    mine = api.post(f"{base}/proposals/{proposal['id']}/approve", headers=editor.headers)
    assert mine.status_code == 403 and "someone else" in mine.json()["detail"]
    approved = api.post(
        f"{base}/proposals/{proposal['id']}/approve", json={"reason": "ok"}, headers=owner.headers
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert _live(api, base, owner) == 2
    history = api.get(f"{base}/labels/production/history", headers=owner.headers).json()
    assert history[0]["from_version"] == 1 and history[0]["to_version"] == 2
    assert history[0]["reason"].startswith("approved proposal by Eddie Editor: v2 fixes tone")
    again = api.post(f"{base}/proposals/{proposal['id']}/approve", headers=owner.headers)
    assert again.status_code == 409

    bell = api.get("/api/v1/notifications", headers=editor.headers).json()
    assert bell["unread"] == 1 and "approved your proposal" in bell["items"][0]["text"]
    read = api.post("/api/v1/notifications/read", headers=editor.headers).json()
    assert read["unread"] == 0 and read["items"][0]["read"] is True


def test_reject_needs_a_reason_and_withdraw_is_the_proposers(
    api: TestClient, owner: Caller, reviewed
) -> None:
    base, editor = reviewed["base"], reviewed["editor"]
    first = api.post(f"{base}/proposals", json={"version": 2}, headers=editor.headers).json()
    no_reason = api.post(f"{base}/proposals/{first['id']}/reject", json={}, headers=owner.headers)
    assert no_reason.status_code == 422
    rejected = api.post(
        f"{base}/proposals/{first['id']}/reject",
        json={"reason": "not before Monday"},
        headers=owner.headers,
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    second = api.post(f"{base}/proposals", json={"version": 2}, headers=editor.headers).json()
    not_yours = api.post(f"{base}/proposals/{second['id']}/withdraw", headers=owner.headers)
    assert not_yours.status_code == 403
    withdrawn = api.post(f"{base}/proposals/{second['id']}/withdraw", headers=editor.headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert _live(api, base, owner) == 1


def test_a_proposal_that_would_fail_is_refused_up_front(
    api: TestClient, owner: Caller, reviewed
) -> None:
    same = api.post(f"{reviewed['base']}/proposals", json={"version": 1}, headers=owner.headers)
    assert same.status_code == 422 and "already points at version 1" in same.json()["detail"]
    missing = api.post(f"{reviewed['base']}/proposals", json={"version": 9}, headers=owner.headers)
    assert missing.status_code == 404
