"""/api/v1/api-keys and API-key authentication: create, list, revoke, scopes, rate limits."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from promptrepo.models import ApiKey, Profile, utcnow
from promptrepo.services import cache, rate_limits, sessions
from tests.api.conftest import Caller, bearer, make_caller


def test_create_key_shows_secret_once_and_stores_only_its_hash(
    api: TestClient, owner: Caller, session: Session
) -> None:
    response = api.post(
        "/api/v1/api-keys", json={"name": "ci", "scope": "read"}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["secret"].startswith("pr_")
    assert body["secret"].startswith(body["prefix"])
    assert body["scope"] == "read"
    row = session.exec(select(ApiKey).where(ApiKey.id == uuid.UUID(body["id"]))).one()
    assert body["secret"] not in (row.key_hash, row.prefix)
    listed = api.get("/api/v1/api-keys", headers=owner.headers).json()
    assert "secret" not in str(listed)
    assert body["id"] in [k["id"] for k in listed["items"]]
    # the new key works at once
    assert api.get("/api/v1/api-keys", headers=bearer(body["secret"])).status_code == 200


def test_list_is_paginated_with_cursor(api: TestClient, owner: Caller) -> None:
    for i in range(3):
        api.post("/api/v1/api-keys", json={"name": f"k{i}"}, headers=owner.headers)
    first = api.get("/api/v1/api-keys?limit=2", headers=owner.headers).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(f"/api/v1/api-keys?limit=2&cursor={first['next_cursor']}", headers=owner.headers)
    second = rest.json()
    seen = [k["id"] for k in first["items"] + second["items"]]
    assert len(seen) == len(set(seen))
    # 2 fixture keys + 3 new ones
    third = api.get(
        f"/api/v1/api-keys?limit=2&cursor={second['next_cursor']}", headers=owner.headers
    ).json()
    assert len(seen) + len(third["items"]) == 5 and third["next_cursor"] is None
    bad = api.get("/api/v1/api-keys?cursor=!!nonsense", headers=owner.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "cursor"]
    assert api.get("/api/v1/api-keys?limit=0", headers=owner.headers).status_code == 422


def test_missing_or_bad_credentials_are_401(api: TestClient) -> None:
    for headers in (
        {},
        bearer("pr_not-a-key"),
        bearer("prs_not-a-session"),
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ):
        response = api.get("/api/v1/api-keys", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 401


def test_read_only_key_reads_but_cannot_write(api: TestClient, owner: Caller) -> None:
    assert api.get("/api/v1/api-keys", headers=owner.read_headers).status_code == 200
    response = api.post("/api/v1/api-keys", json={"name": "x"}, headers=owner.read_headers)
    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"


def test_api_key_cannot_mint_more_keys(api: TestClient, owner: Caller) -> None:
    response = api.post("/api/v1/api-keys", json={"name": "x"}, headers=owner.write_headers)
    assert response.status_code == 403


def test_revoked_key_stops_working_on_next_request(
    api: TestClient, owner: Caller, session: Session
) -> None:
    assert api.get("/api/v1/api-keys", headers=owner.read_headers).status_code == 200  # now cached
    key_id = session.exec(
        select(ApiKey.id).where(ApiKey.name == "read", ApiKey.user_id == owner.principal.user_id)
    ).one()
    assert api.delete(f"/api/v1/api-keys/{key_id}", headers=owner.headers).status_code == 204
    assert api.get("/api/v1/api-keys", headers=owner.read_headers).status_code == 401
    ids = [k["id"] for k in api.get("/api/v1/api-keys", headers=owner.headers).json()["items"]]
    assert str(key_id) not in ids


def test_outsider_cannot_see_or_revoke_my_keys(
    api: TestClient, owner: Caller, outsider: Caller, session: Session
) -> None:
    key_id = session.exec(
        select(ApiKey.id).where(ApiKey.user_id == owner.principal.user_id)
    ).first()
    listed = api.get("/api/v1/api-keys", headers=outsider.headers).json()["items"]
    assert str(key_id) not in [k["id"] for k in listed]
    assert api.delete(f"/api/v1/api-keys/{key_id}", headers=outsider.headers).status_code == 404
    assert (
        api.delete(f"/api/v1/api-keys/{uuid.uuid4()}", headers=outsider.headers).status_code == 404
    )
    assert api.get("/api/v1/api-keys", headers=owner.read_headers).status_code == 200


def test_suspended_users_keys_and_sessions_stop_at_once(
    api: TestClient, owner: Caller, session: Session
) -> None:
    assert api.get("/api/v1/api-keys", headers=owner.read_headers).status_code == 200
    assert api.get("/api/v1/api-keys", headers=owner.headers).status_code == 200
    profile = session.get(Profile, owner.principal.user_id)
    profile.suspended_at = utcnow()
    session.add(profile)
    sessions.revoke_all_sessions(session, profile.id)  # what suspension does: invalidates user:<id>
    session.commit()
    assert api.get("/api/v1/api-keys", headers=owner.read_headers).status_code == 401
    assert api.get("/api/v1/api-keys", headers=owner.headers).status_code == 401


def test_last_used_is_recorded_without_a_write_per_request(
    api: TestClient, owner: Caller, session: Session
) -> None:
    for _ in range(3):
        assert api.get("/api/v1/api-keys", headers=owner.read_headers).status_code == 200
    session.expire_all()
    key = session.exec(
        select(ApiKey).where(ApiKey.name == "read", ApiKey.user_id == owner.principal.user_id)
    ).one()
    assert key.last_used_at is not None
    first = key.last_used_at
    cache.clear_local()
    cache.delete(f"principal:{key.key_hash}")  # force the database path again
    assert api.get("/api/v1/api-keys", headers=owner.read_headers).status_code == 200
    session.expire_all()
    assert session.get(ApiKey, key.id).last_used_at == first  # within a minute: not rewritten


def test_rate_limit_headers_and_429_per_plan(api: TestClient, session: Session) -> None:
    caller = make_caller(session, plan="free")
    response = api.get("/api/v1/api-keys", headers=caller.read_headers)
    assert response.headers["RateLimit-Limit"] == "60"
    assert response.headers["RateLimit-Remaining"] == "59"
    assert 0 <= int(response.headers["RateLimit-Reset"]) <= 60
    # the session token and the keys share the account's window (listing keys with the
    # session is not counted: see the abused-key test below)
    for _ in range(59):
        assert api.get("/api/v1/me", headers=caller.headers).status_code == 200
    refused = api.get("/api/v1/api-keys", headers=caller.write_headers)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.json()["status"] == 429
    # the window is the one `limits` keeps: the shared limiter sees the same count
    status = rate_limits.test("60/minute", "api", str(caller.principal.user_id))
    assert not status.allowed
    rate_limits.clear("60/minute", "api", str(caller.principal.user_id))
    assert api.get("/api/v1/api-keys", headers=caller.headers).status_code == 200


def test_pro_plan_gets_a_higher_limit(api: TestClient, session: Session) -> None:
    caller = make_caller(session, plan="pro")
    response = api.get("/api/v1/api-keys", headers=caller.read_headers)
    assert response.headers["RateLimit-Limit"] == "600"


def test_create_key_validation_errors_name_fields(api: TestClient, owner: Caller) -> None:
    response = api.post(
        "/api/v1/api-keys", json={"name": "", "scope": "admin"}, headers=owner.headers
    )
    assert response.status_code == 422
    locs = [tuple(e["loc"]) for e in response.json()["errors"]]
    assert ("body", "name") in locs and ("body", "scope") in locs
    malformed = api.post(
        "/api/v1/api-keys",
        content=b"{not json",
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert malformed.status_code in (400, 422)


def test_body_over_the_limit_is_413(api: TestClient, owner: Caller) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = api.post(
        "/api/v1/api-keys",
        content=big,
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")

    def chunks():  # no Content-Length: the limit is enforced while streaming
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    streamed = api.post(
        "/api/v1/api-keys",
        content=chunks(),
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


def test_nul_characters_are_422_not_500(api: TestClient, owner: Caller) -> None:
    # Found by the schemathesis fuzz: PostgreSQL cannot store NUL in text.
    response = api.post("/api/v1/api-keys", json={"name": "a\x00b"}, headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
    searched = api.get("/api/v1/projects?search=%00", headers=owner.headers)
    assert searched.status_code in (200, 422)


def test_an_abused_key_never_locks_the_owner_out_of_listing_and_revoking_keys(
    api: TestClient, session: Session
) -> None:
    """The key's callers use up the account's window; the owner's session still lists and
    revokes keys (never 429), while the key itself stays limited."""
    caller = make_caller(session, plan="free")
    statuses = [
        api.get("/api/v1/projects", headers=caller.write_headers).status_code for _ in range(61)
    ]
    assert statuses[-1] == 429
    assert api.get("/api/v1/projects", headers=caller.headers).status_code == 429
    assert api.get("/api/v1/api-keys", headers=caller.write_headers).status_code == 429
    for _ in range(5):
        listed = api.get("/api/v1/api-keys", headers=caller.headers)
        assert listed.status_code == 200, listed.text
    abused = next(k for k in listed.json()["items"] if k["name"] == "write")
    revoked = api.delete(f"/api/v1/api-keys/{abused['id']}", headers=caller.headers)
    assert revoked.status_code == 204, revoked.text
    assert api.get("/api/v1/projects", headers=caller.write_headers).status_code == 401
    # the exemption does not make a key valid that is not
    assert api.get("/api/v1/api-keys", headers=bearer("prs_not-a-session")).status_code == 401


def test_a_project_key_has_a_public_key_and_reaches_only_its_project(
    api: TestClient, owner: Caller
) -> None:
    mine = api.post("/api/v1/projects", json={"name": "Mine"}, headers=owner.headers).json()
    other = api.post("/api/v1/projects", json={"name": "Other"}, headers=owner.headers).json()
    created = api.post(
        "/api/v1/api-keys",
        json={"name": "langfuse", "scope": "write", "project_id": mine["id"]},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["public_key"].startswith("pk-") and body["project_id"] == mine["id"]
    assert body["public_key"] not in body["secret"]
    listed = api.get("/api/v1/api-keys", headers=owner.headers).json()["items"]
    assert {k["public_key"] for k in listed} >= {body["public_key"]}
    key = bearer(body["secret"])
    assert api.get(f"/api/v1/projects/{mine['id']}", headers=key).status_code == 200
    # the owner's other project is "not found" to this key, in listings too
    assert api.get(f"/api/v1/projects/{other['id']}", headers=key).status_code == 404
    assert [p["id"] for p in api.get("/api/v1/projects", headers=key).json()["items"]] == [
        mine["id"]
    ]


def test_a_key_for_someone_elses_project_is_refused(
    api: TestClient, owner: Caller, outsider: Caller
) -> None:
    theirs = api.post("/api/v1/projects", json={"name": "T"}, headers=outsider.headers).json()
    refused = api.post(
        "/api/v1/api-keys",
        json={"name": "sneaky", "project_id": theirs["id"]},
        headers=owner.headers,
    )
    assert refused.status_code == 404
    assert api.get("/api/v1/api-keys", headers=owner.headers).json()["items"][0]["name"] != "sneaky"
