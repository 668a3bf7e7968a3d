"""The REST API through the real served app: production mode, PostgreSQL, Redis, two workers.

What only the real deployment can show: the cache lives in Redis and is shared by both
workers, so a publish through one worker is seen at once by requests landing on the other;
revocation reaches every worker; limits are counted across workers; bodies are limited on
the real HTTP stream.
"""

from __future__ import annotations

import httpx
import pytest

from promptrepo.models import ApiKey
from tests.api.conftest import Caller, bearer, make_caller


@pytest.fixture
def caller(app_server) -> Caller:
    with app_server.session() as session:
        return make_caller(session, plan="pro", name="Served")


@pytest.fixture
def http(app_server):
    with httpx.Client(base_url=app_server.url + "/api/v1", timeout=30) as client:
        yield client


def _published_prompt(http: httpx.Client, caller: Caller) -> str:
    h = caller.headers
    project = http.post("/projects", json={"name": "Served"}, headers=h).json()
    segment = http.post(f"/projects/{project['id']}/segments", json={"name": "S"}, headers=h).json()
    prompt = http.post(
        f"/segments/{segment['id']}/prompts",
        json={"name": "P", "content": "One {{ x }}", "variables": {"x": {"example": "a"}}},
        headers=h,
    ).json()
    http.post(f"/prompts/{prompt['id']}/versions", json={"commit_message": "1"}, headers=h)
    published = http.put(
        f"/prompts/{prompt['id']}/labels/production", json={"version": 1}, headers=h
    )
    assert published.status_code == 200, published.text
    return prompt["id"]


def test_publish_is_seen_at_once_by_every_worker(http: httpx.Client, caller: Caller) -> None:
    pid = _published_prompt(http, caller)
    for _ in range(6):  # warm the shared cache through both workers
        response = http.get(f"/prompts/{pid}/resolve", headers=caller.read_headers)
        assert response.status_code == 200 and response.json()["version"] == 1
    etag = response.headers["ETag"]
    assert (
        http.get(
            f"/prompts/{pid}/resolve", headers={**caller.read_headers, "If-None-Match": etag}
        ).status_code
        == 304
    )
    revision = http.get(f"/prompts/{pid}", headers=caller.headers).json()["revision"]
    http.patch(
        f"/prompts/{pid}",
        json={"base_revision": revision, "content": "Two {{ x }}"},
        headers=caller.headers,
    )
    http.post(f"/prompts/{pid}/versions", json={"commit_message": "2"}, headers=caller.headers)
    assert (
        http.put(
            f"/prompts/{pid}/labels/production", json={"version": 2}, headers=caller.headers
        ).status_code
        == 200
    )
    for _ in range(6):  # every request right after the publish, whichever worker answers
        fresh = http.get(
            f"/prompts/{pid}/resolve", headers={**caller.read_headers, "If-None-Match": etag}
        )
        assert fresh.status_code == 200 and fresh.json()["version"] == 2
        assert fresh.json()["content"] == "Two {{ x }}"
        rendered = http.post(
            f"/prompts/{pid}/render", json={"variables": {"x": "b"}}, headers=caller.read_headers
        )
        assert rendered.json()["text"] == "Two b"


def test_revoked_key_is_refused_by_every_worker(
    http: httpx.Client, caller: Caller, app_server
) -> None:
    for _ in range(4):
        assert http.get("/me", headers=caller.read_headers).status_code == 200
    with app_server.session() as session:
        from sqlmodel import select

        key_id = session.exec(
            select(ApiKey.id).where(
                ApiKey.user_id == caller.principal.user_id, ApiKey.name == "read"
            )
        ).one()
    assert http.delete(f"/api-keys/{key_id}", headers=caller.headers).status_code == 204
    for _ in range(4):
        assert http.get("/me", headers=caller.read_headers).status_code == 401


def test_limit_is_counted_across_workers(http: httpx.Client, app_server) -> None:
    with app_server.session() as session:
        free = make_caller(session, plan="free", name="Free")
    statuses = [http.get("/me", headers=free.read_headers).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    refused = http.get("/me", headers=free.headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert (
        refused.headers["RateLimit-Limit"] == "60" and refused.headers["RateLimit-Remaining"] == "0"
    )


def test_big_bodies_are_413_and_bad_json_400(app_server, caller: Caller) -> None:
    # A server may close the connection after refusing a body it did not read: one
    # connection per request here.
    url = app_server.url + "/api/v1/projects"
    headers = {**caller.headers, "Content-Type": "application/json"}
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    assert httpx.post(url, content=big, headers=headers, timeout=30).status_code == 413

    def stream():  # no Content-Length: refused while streaming, just past the limit
        yield b'{"name": "'
        for _ in range(16):
            yield b"y" * 65536
        yield b'"}'

    assert httpx.post(url, content=stream(), headers=headers, timeout=30).status_code == 413
    malformed = httpx.post(url, content=b'{"name": ', headers=headers, timeout=30)
    assert malformed.status_code == 400
    assert malformed.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(url, headers=bearer("pr_nope"), timeout=30).status_code == 401


def test_the_served_app_logs_in_only_as_its_two_roles(app_server, http, caller: Caller) -> None:
    """On PostgreSQL the running app never connects as the owner (or a superuser): only as
    the row-level-security role and, for the named system paths, the system role."""
    if not app_server.database_url.startswith("postgresql"):
        pytest.skip("roles exist on PostgreSQL only")
    from sqlalchemy import text

    prompt_id = _published_prompt(http, caller)
    assert http.get(f"/prompts/{prompt_id}/resolve", headers=caller.read_headers).is_success
    assert httpx.get(app_server.url + "/").is_success
    app_server.engine.dispose()  # the test's own owner connections: only the one below stays
    with app_server.engine.connect() as conn:
        logins = set(
            conn.execute(
                text(
                    "SELECT DISTINCT usename FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
        )
    assert logins == {"promptrepo_user", "promptrepo_system"}, logins
