"""Hostile templates over HTTP: the render route answers 422 problem+json naming the limit,
never a 500, and the server keeps answering other requests while a render burns its budget."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Caller

SLOW_LOOP = "{% for i in range(99000) %}{% if (7**3000)|string %}{% endif %}{% endfor %}"


def _staged_prompt(api: TestClient, owner: Caller, content: str) -> str:
    """A prompt whose version 1 (`content`) is labelled staging (no publish checks)."""
    h = owner.headers
    project = api.post("/api/v1/projects", json={"name": f"Hostile {content[:20]}"}, headers=h)
    assert project.status_code == 201, project.text
    project = project.json()
    segment = api.post(
        f"/api/v1/projects/{project['id']}/segments", json={"name": "S"}, headers=h
    ).json()
    prompt = api.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={"name": "P", "content": content},
        headers=h,
    )
    assert prompt.status_code == 201, prompt.text
    pid = prompt.json()["id"]
    created = api.post(f"/api/v1/prompts/{pid}/versions", json={"commit_message": "v"}, headers=h)
    assert created.status_code == 201, created.text
    staged = api.put(f"/api/v1/prompts/{pid}/labels/staging", json={"version": 1}, headers=h)
    assert staged.status_code == 200, staged.text
    return pid


def _render(api: TestClient, owner: Caller, pid: str):
    return api.post(
        f"/api/v1/prompts/{pid}/render",
        json={"variables": {}, "label": "staging"},
        headers=owner.read_headers,
    )


@pytest.mark.parametrize(
    ("content", "limit"),
    [
        ("{{ (((9**999)**999)**20) > 1 }}", "integer limit"),
        ("{{ 'x'.ljust(1000000000)|length }}", "output limit"),
        ("{{ '%1000000000s' % 'x' }}", "output limit"),
        ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "recursion limit"),
        (SLOW_LOOP, "took longer than 1 s"),
    ],
)
def test_hostile_render_is_422_problem_json_naming_the_limit(
    api: TestClient, owner: Caller, content: str, limit: str
) -> None:
    response = _render(api, owner, _staged_prompt(api, owner, content))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert limit in response.json()["detail"]


def test_publishing_a_template_that_runs_out_of_time_is_refused_with_the_reason(
    api: TestClient, owner: Caller
) -> None:
    pid = _staged_prompt(api, owner, SLOW_LOOP)
    published = api.put(
        f"/api/v1/prompts/{pid}/labels/production", json={"version": 1}, headers=owner.headers
    )
    assert published.status_code == 422
    assert "took longer than 1 s" in published.json()["detail"]


def test_health_keeps_answering_while_a_render_runs_out_of_its_budget(
    api: TestClient, owner: Caller
) -> None:
    pid = _staged_prompt(api, owner, SLOW_LOOP)
    _render(api, owner, _staged_prompt(api, owner, "warm"))  # a render worker is up
    finished = threading.Event()
    answers: dict[str, object] = {}

    def hostile() -> None:
        answers["render"] = _render(api, owner, pid)
        finished.set()

    thread = threading.Thread(target=hostile)
    thread.start()
    answered_meanwhile = 0
    while not finished.is_set():
        health = api.get("/api/health")
        assert health.status_code == 200
        if not finished.is_set():
            answered_meanwhile += 1
    thread.join()
    assert answers["render"].status_code == 422  # type: ignore[attr-defined]
    # The render ran ~1 s on a worker process; the event loop answered health all along
    # (before, the render ran on the loop and no probe could answer until it ended).
    assert answered_meanwhile >= 3
