"""GET /api/v1/projects/{id}/activity and …/activity.csv through the real FastAPI app."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.conftest import Caller, make_caller


def _project_with_history(api: TestClient, caller: Caller) -> str:
    project = api.post("/api/v1/projects", json={"name": "Docs"}, headers=caller.headers).json()
    segment = api.post(
        f"/api/v1/projects/{project['id']}/segments", json={"name": "Main"}, headers=caller.headers
    ).json()
    prompt = api.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={"name": "Intro", "content": "Hello", "tags": ["docs"]},
        headers=caller.headers,
    ).json()
    api.patch(f"/api/v1/prompts/{prompt['id']}", json={"tags": []}, headers=caller.headers)
    return project["id"]


def test_the_owner_pages_and_filters_the_activity(
    api: TestClient, owner: Caller, outsider: Caller
) -> None:
    project_id = _project_with_history(api, owner)
    url = f"/api/v1/projects/{project_id}/activity"
    first = api.get(url, params={"limit": 1}, headers=owner.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["total"] == 4 and len(body["items"]) == 1 and body["next_cursor"]
    assert body["items"][0]["summary"] == "Tags of “Intro”: removed #docs"
    second = api.get(url, params={"cursor": body["next_cursor"]}, headers=owner.headers).json()
    assert [i["action"] for i in second["items"]] == [
        "prompt.created",
        "segment.created",
        "project.create",
    ]

    tagged = api.get(url, params={"kind": "tags"}, headers=owner.headers).json()
    assert [i["kind"] for i in tagged["items"]] == ["tags"]
    contents = api.get(url, params={"kind": "contents"}, headers=owner.headers).json()
    assert [i["summary"] for i in contents["items"]] == [
        "Added the prompt “Intro” to “Main”",
        "Added the segment “Main”",
    ]
    bad = api.get(url, params={"kind": "everything"}, headers=owner.headers)
    assert bad.status_code in (400, 422)
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert api.get(url, params={"since": "soon"}, headers=owner.headers).status_code == 422
    assert api.get(url, headers=outsider.headers).status_code == 404

    # The CSV export is the Enterprise plan's: a Free owner is told so.
    refused = api.get(url + ".csv", headers=owner.headers)
    assert refused.status_code == 402 and "Enterprise" in refused.text


def test_an_enterprise_owner_downloads_the_activity_as_csv(
    api: TestClient, session: Session
) -> None:
    boss = make_caller(session, plan="enterprise", name="Boss")
    session.commit()
    project_id = _project_with_history(api, boss)
    answer = api.get(f"/api/v1/projects/{project_id}/activity.csv", headers=boss.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    lines = answer.text.strip().split("\r\n")
    assert lines[0].startswith("time_utc,person,")
    assert len(lines) == 1 + 4 and ",Boss," in lines[1]
