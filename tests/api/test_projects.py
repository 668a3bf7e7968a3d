"""/api/v1/projects, segments, prompts and the public gallery: success and failure paths."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.conftest import Caller, make_caller


def _project(api: TestClient, caller: Caller, name: str = "Bot", **extra) -> dict:
    response = api.post("/api/v1/projects", json={"name": name, **extra}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _segment(api: TestClient, caller: Caller, project_id: str, name: str = "Intro") -> dict:
    response = api.post(
        f"/api/v1/projects/{project_id}/segments", json={"name": name}, headers=caller.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def _prompt(
    api: TestClient, caller: Caller, segment_id: str, name: str = "Greeting", **extra
) -> dict:
    response = api.post(
        f"/api/v1/segments/{segment_id}/prompts",
        json={"name": name, "content": "Hello {{ name }}", **extra},
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_project_lifecycle(api: TestClient, owner: Caller) -> None:
    created = _project(api, owner, "Support", description="Helps")
    assert created["name"] == "Support" and created["is_public"] is False
    detail = api.get(f"/api/v1/projects/{created['id']}", headers=owner.read_headers)
    assert detail.status_code == 200 and detail.json()["segments"] == []
    patched = api.patch(
        f"/api/v1/projects/{created['id']}",
        json={"name": "Support v2", "is_public": True},
        headers=owner.write_headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Support v2" and patched.json()["is_public"] is True
    assert api.delete(f"/api/v1/projects/{created['id']}", headers=owner.headers).status_code == 204
    assert api.get(f"/api/v1/projects/{created['id']}", headers=owner.headers).status_code == 404


def test_project_list_is_paginated(api: TestClient, session: Session) -> None:
    caller = make_caller(session, plan="pro")
    for i in range(5):
        _project(api, caller, f"P{i}")
    first = api.get("/api/v1/projects?limit=2&sort=name", headers=caller.headers).json()
    assert [p["name"] for p in first["items"]] == ["P0", "P1"] and first["total"] == 5
    second = api.get(
        f"/api/v1/projects?limit=2&sort=name&cursor={first['next_cursor']}", headers=caller.headers
    ).json()
    assert [p["name"] for p in second["items"]] == ["P2", "P3"]
    # a cursor off the page grid (limit changed between calls) still continues in order
    odd = api.get(
        f"/api/v1/projects?limit=3&sort=name&cursor={first['next_cursor']}", headers=caller.headers
    ).json()
    assert [p["name"] for p in odd["items"]] == ["P2", "P3", "P4"] and odd["next_cursor"] is None
    found = api.get("/api/v1/projects?search=P3", headers=caller.headers).json()
    assert [p["name"] for p in found["items"]] == ["P3"]


def test_duplicate_name_is_409_and_bad_fields_422(api: TestClient, owner: Caller) -> None:
    _project(api, owner, "Same")
    again = api.post("/api/v1/projects", json={"name": "same"}, headers=owner.headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    bad = api.post("/api/v1/projects", json={"name": "", "extra": 1}, headers=owner.headers)
    assert bad.status_code == 422
    locs = [e["loc"] for e in bad.json()["errors"]]
    assert ["body", "name"] in locs and ["body", "extra"] in locs
    blank = api.post("/api/v1/projects", json={"name": "   "}, headers=owner.headers)
    assert blank.status_code == 422 and blank.json()["errors"][0]["loc"] == ["body", "name"]


def test_free_plan_project_limit_is_402(api: TestClient, owner: Caller) -> None:
    for i in range(3):
        _project(api, owner, f"P{i}")
    response = api.post("/api/v1/projects", json={"name": "P4"}, headers=owner.headers)
    assert response.status_code == 402
    assert "/pricing" in response.json()["detail"]


def test_read_only_key_cannot_change_anything(api: TestClient, owner: Caller) -> None:
    project = _project(api, owner)
    segment = _segment(api, owner, project["id"])
    prompt = _prompt(api, owner, segment["id"])
    h = owner.read_headers
    attempts = [
        api.post("/api/v1/projects", json={"name": "X"}, headers=h),
        api.patch(f"/api/v1/projects/{project['id']}", json={"name": "X"}, headers=h),
        api.delete(f"/api/v1/projects/{project['id']}", headers=h),
        api.post(f"/api/v1/projects/{project['id']}/segments", json={"name": "X"}, headers=h),
        api.patch(f"/api/v1/segments/{segment['id']}", json={"name": "X"}, headers=h),
        api.delete(f"/api/v1/segments/{segment['id']}", headers=h),
        api.post(f"/api/v1/segments/{segment['id']}/prompts", json={"name": "X"}, headers=h),
        api.delete(f"/api/v1/prompts/{prompt['id']}", headers=h),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert api.get(f"/api/v1/prompts/{prompt['id']}", headers=h).status_code == 200


def test_segments_and_prompts_in_order(api: TestClient, owner: Caller) -> None:
    project = _project(api, owner)
    a = _segment(api, owner, project["id"], "A")
    b = _segment(api, owner, project["id"], "B")
    moved = api.patch(
        f"/api/v1/segments/{b['id']}", json={"position": 0, "name": "B!"}, headers=owner.headers
    )
    assert moved.status_code == 200 and moved.json()["name"] == "B!"
    names = [
        s["name"]
        for s in api.get(
            f"/api/v1/projects/{project['id']}/segments", headers=owner.headers
        ).json()["items"]
    ]
    assert names == ["B!", "A"]
    p1 = _prompt(api, owner, a["id"], "one")
    _prompt(api, owner, a["id"], "two")
    listed = api.get(f"/api/v1/segments/{a['id']}/prompts?limit=1", headers=owner.headers).json()
    assert [p["name"] for p in listed["items"]] == ["one"] and listed["next_cursor"]
    got = api.get(f"/api/v1/prompts/{p1['id']}", headers=owner.headers).json()
    assert got["content"] == "Hello {{ name }}" and got["revision"] >= 1
    assert api.delete(f"/api/v1/prompts/{p1['id']}", headers=owner.headers).status_code == 204
    assert api.get(f"/api/v1/prompts/{p1['id']}", headers=owner.headers).status_code == 404
    assert api.delete(f"/api/v1/segments/{a['id']}", headers=owner.headers).status_code == 204
    assert api.get(f"/api/v1/segments/{a['id']}/prompts", headers=owner.headers).status_code == 404


def test_outsider_gets_404_for_every_private_resource(
    api: TestClient, owner: Caller, outsider: Caller
) -> None:
    project = _project(api, owner, "Secret")
    segment = _segment(api, owner, project["id"])
    prompt = _prompt(api, owner, segment["id"])
    for headers in (outsider.headers, outsider.write_headers, outsider.read_headers):
        reads = [
            api.get(f"/api/v1/projects/{project['id']}", headers=headers),
            api.get(f"/api/v1/projects/{project['id']}/segments", headers=headers),
            api.get(f"/api/v1/segments/{segment['id']}/prompts", headers=headers),
            api.get(f"/api/v1/prompts/{prompt['id']}", headers=headers),
            api.get(f"/api/v1/public/projects/{project['id']}", headers=headers),
        ]
        assert [r.status_code for r in reads] == [404] * len(reads)
    writes = [
        api.patch(
            f"/api/v1/projects/{project['id']}", json={"name": "X"}, headers=outsider.headers
        ),
        api.delete(f"/api/v1/projects/{project['id']}", headers=outsider.headers),
        api.post(f"/api/v1/projects/{project['id']}/fork", headers=outsider.headers),
        api.post(
            f"/api/v1/projects/{project['id']}/segments",
            json={"name": "X"},
            headers=outsider.headers,
        ),
        api.patch(
            f"/api/v1/segments/{segment['id']}", json={"name": "X"}, headers=outsider.headers
        ),
        api.delete(f"/api/v1/segments/{segment['id']}", headers=outsider.headers),
        api.post(
            f"/api/v1/segments/{segment['id']}/prompts",
            json={"name": "X"},
            headers=outsider.headers,
        ),
        api.delete(f"/api/v1/prompts/{prompt['id']}", headers=outsider.headers),
    ]
    assert [r.status_code for r in writes] == [404] * len(writes)
    listed = api.get("/api/v1/projects", headers=outsider.headers).json()
    assert listed["items"] == []
    assert "Secret" not in api.get("/api/v1/public/projects").text
    assert api.get(f"/api/v1/projects/{uuid.uuid4()}", headers=owner.headers).status_code == 404
    assert api.get("/api/v1/projects/not-a-uuid", headers=owner.headers).status_code in (404, 422)


def test_public_gallery_without_auth_and_fork(
    api: TestClient, owner: Caller, outsider: Caller
) -> None:
    project = _project(api, owner, "Shared", is_public=True)
    segment = _segment(api, owner, project["id"])
    _prompt(api, owner, segment["id"])
    gallery = api.get("/api/v1/public/projects")
    assert gallery.status_code == 200
    assert [p["name"] for p in gallery.json()["items"]] == ["Shared"]
    assert "RateLimit-Limit" in gallery.headers
    detail = api.get(f"/api/v1/public/projects/{project['id']}")
    assert detail.status_code == 200 and len(detail.json()["segments"]) == 1
    # others may read it but not change it
    assert api.get(f"/api/v1/projects/{project['id']}", headers=outsider.headers).status_code == 200
    assert (
        api.patch(
            f"/api/v1/projects/{project['id']}", json={"name": "Mine"}, headers=outsider.headers
        ).status_code
        == 403
    )
    fork = api.post(f"/api/v1/projects/{project['id']}/fork", headers=outsider.headers)
    assert fork.status_code == 201, fork.text
    assert fork.json()["forked_from_id"] == project["id"] and fork.json()["is_public"] is False
    assert api.get(f"/api/v1/public/projects/{project['id']}").json()["fork_count"] == 1
    assert (
        api.post(f"/api/v1/projects/{project['id']}/fork", headers=owner.headers).status_code == 409
    )
    assert api.post(f"/api/v1/projects/{project['id']}/fork").status_code == 401
