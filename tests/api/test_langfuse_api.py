"""The Langfuse-compatible prompt API (/api/public), driven by the real `langfuse` SDK (5.x,
unchanged) and, for details the SDK hides, by plain HTTP.

The SDK's HTTP client is FastAPI's TestClient (an httpx.Client over ASGI), so the SDK talks to
the real app object on SQLite and PostgreSQL; tests/e2e/test_protocols.py runs it against the
built app over the network.
"""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from langfuse import Langfuse
from langfuse.api import NotFoundError
from langfuse.api.core.api_error import ApiError

from tests.api.conftest import Caller, bearer

# The SDK passes a timeout on every request, which TestClient (no network, no timeout) warns of.
pytestmark = pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument")


def basic(public_key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{public_key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def project(api: TestClient, owner: Caller) -> dict:
    return api.post("/api/v1/projects", json={"name": "Support"}, headers=owner.headers).json()


@pytest.fixture
def key(api: TestClient, owner: Caller, project: dict) -> dict:
    created = api.post(
        "/api/v1/api-keys",
        json={"name": "langfuse", "scope": "write", "project_id": project["id"]},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    return created.json()


@pytest.fixture
def sdk(api: TestClient, key: dict):
    client = Langfuse(
        public_key=key["public_key"],
        secret_key=key["secret"],
        base_url="http://testserver",
        httpx_client=api,
        tracing_enabled=False,
    )
    yield client
    client.shutdown()


def test_the_sdk_creates_reads_compiles_and_relabels_prompts(
    api: TestClient, sdk: Langfuse, key: dict, project: dict
) -> None:
    assert sdk.auth_check() is True
    created = sdk.create_prompt(
        name="support/greeting",
        prompt="Hello {{ name }}, welcome to {{product}}.",
        labels=["production"],
        commit_message="first",
    )
    assert created.version == 1 and "production" in created.labels

    prompt = sdk.get_prompt("support/greeting")
    assert prompt.version == 1 and prompt.name == "support/greeting"
    assert prompt.prompt == "Hello {{ name }}, welcome to {{product}}."
    assert prompt.compile(name="Ada", product="PromptRepo") == "Hello Ada, welcome to PromptRepo."
    assert prompt.commit_message == "first" and prompt.config == {}

    sdk.create_prompt(name="support/greeting", prompt="Hi {{ name }}!", labels=["staging"])
    assert sdk.get_prompt("support/greeting", cache_ttl_seconds=0).version == 1  # production
    assert sdk.get_prompt("support/greeting", label="latest", cache_ttl_seconds=0).version == 2
    assert sdk.get_prompt("support/greeting", version=2, cache_ttl_seconds=0).prompt == (
        "Hi {{ name }}!"
    )
    sdk.update_prompt(name="support/greeting", version=2, new_labels=["production"])
    moved = sdk.get_prompt("support/greeting", cache_ttl_seconds=0)
    assert moved.version == 2 and moved.labels[0] == "production"

    # a name without a folder lives in the segment "prompts", created on first use
    sdk.create_prompt(name="plain", prompt="Plain text", labels=["production"], tags=None)
    assert sdk.get_prompt("plain", cache_ttl_seconds=0).prompt == "Plain text"
    detail = api.get(f"/api/v1/projects/{project['id']}", headers=bearer(key["secret"])).json()
    assert sorted(s["name"] for s in detail["segments"]) == ["prompts", "support"]

    # the same prompt through our REST API
    prompt_id = moved.prompt and sdk.get_prompt("support/greeting", cache_ttl_seconds=0)
    listed = api.get("/api/public/v2/prompts", headers=basic(key["public_key"], key["secret"]))
    assert listed.status_code == 200
    metas = {m["name"]: m for m in listed.json()["data"]}
    assert metas["support/greeting"]["versions"] == [1, 2]
    assert set(metas["support/greeting"]["labels"]) == {"production", "staging", "latest"}
    assert listed.json()["meta"]["totalItems"] == 2
    rest_id = api.get(
        "/api/public/v2/prompts/support%2Fgreeting", headers=basic(key["public_key"], key["secret"])
    ).json()["id"]
    rest = api.get(f"/api/v1/prompts/{rest_id}/resolve", headers=bearer(key["secret"])).json()
    assert rest["content"] == "Hi {{ name }}!" and rest["version"] == 2
    assert prompt_id is not None


def test_the_sdk_sees_404_validator_refusals_and_its_fallback(
    api: TestClient, sdk: Langfuse, key: dict, owner: Caller
) -> None:
    with pytest.raises(NotFoundError):
        sdk.get_prompt("support/missing", cache_ttl_seconds=0)
    fallback = sdk.get_prompt("support/missing", fallback="Default {{ x }}", cache_ttl_seconds=0)
    assert fallback.is_fallback and fallback.compile(x="y") == "Default y"

    sdk.create_prompt(name="support/polite", prompt="Answer now.", labels=["staging"])
    auth = basic(key["public_key"], key["secret"])
    prompt_id = api.get("/api/public/v2/prompts/support%2Fpolite?label=staging", headers=auth)
    prompt_id = prompt_id.json()["id"]
    added = api.post(
        f"/api/v1/prompts/{prompt_id}/validators",
        json={"type": "contains", "config": {"text": "Please"}},
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    with pytest.raises(ApiError) as refused:
        sdk.create_prompt(name="support/polite", prompt="Still rude.", labels=["production"])
    assert refused.value.status_code == 400
    assert "cannot be published" in refused.value.body["message"]
    assert refused.value.body["errors"][0]["type"] == "contains"
    # nothing of the refused request was kept: still one version, nothing published
    assert sdk.get_prompt("support/polite", label="latest", cache_ttl_seconds=0).version == 1
    with pytest.raises(NotFoundError):
        sdk.get_prompt("support/polite", cache_ttl_seconds=0)
    ok = sdk.create_prompt(name="support/polite", prompt="Please wait.", labels=["production"])
    assert ok.version == 2


def test_cached_answers_follow_label_moves_at_once(api: TestClient, sdk: Langfuse, key: dict):
    """Our cache (not the SDK's: cache_ttl_seconds=0) is dropped after the label move commits."""
    auth = basic(key["public_key"], key["secret"])
    sdk.create_prompt(name="a/b", prompt="one", labels=["production"])
    sdk.create_prompt(name="a/b", prompt="two")
    for _ in range(2):  # the second read is a cache hit
        assert api.get("/api/public/v2/prompts/a%2Fb", headers=auth).json()["prompt"] == "one"
    sdk.update_prompt(name="a/b", version=2, new_labels=["production"])
    assert api.get("/api/public/v2/prompts/a%2Fb", headers=auth).json()["prompt"] == "two"


def test_errors_have_langfuses_shape(
    api: TestClient, owner: Caller, key: dict, outsider: Caller
) -> None:
    auth = basic(key["public_key"], key["secret"])
    missing = api.get("/api/public/v2/prompts/nope")
    assert missing.status_code == 401 and set(missing.json()) == {"message", "error"}
    wrong_pair = api.get("/api/public/projects", headers=basic("pk-other", key["secret"]))
    assert wrong_pair.status_code == 401
    assert api.get("/api/public/projects", headers=basic("x", "pr_nope")).status_code == 401
    assert api.get("/api/public/v2/prompts/nope", headers=auth).json() == {
        "message": "Prompt 'prompts/nope' not found.",
        "error": "LangfuseNotFoundError",
    }
    both = api.get("/api/public/v2/prompts/a%2Fb?label=production&version=1", headers=auth)
    assert both.status_code == 400 and "not both" in both.json()["message"]
    bad_body = api.post("/api/public/v2/prompts", json={"name": "x"}, headers=auth)
    assert bad_body.status_code == 400 and bad_body.json()["error"] == "InvalidRequestError"
    bad_role = api.post(
        "/api/public/v2/prompts",
        json={"name": "x", "type": "chat", "prompt": [{"role": "robot", "content": "hi"}]},
        headers=auth,
    )
    assert bad_role.status_code == 400 and "role" in bad_role.json()["message"]
    text_as_chat = api.post(
        "/api/public/v2/prompts", json={"name": "x", "type": "chat", "prompt": "hi"}, headers=auth
    )
    assert text_as_chat.status_code == 400 and "list of messages" in text_as_chat.json()["message"]
    bad_config = api.post(
        "/api/public/v2/prompts",
        json={"name": "x", "prompt": "hi", "config": {"temperature": "hot"}},
        headers=auth,
    )
    assert bad_config.status_code == 400 and "temperature" in bad_config.text
    not_object = api.post(
        "/api/public/v2/prompts", json={"name": "x", "prompt": "hi", "config": [1]}, headers=auth
    )
    assert not_object.status_code == 400 and "object" in not_object.json()["message"]
    assert api.get("/api/public/v2/prompts/x?label=latest", headers=auth).status_code == 404
    reserved = api.post(
        "/api/public/v2/prompts",
        json={"name": "x", "prompt": "y", "labels": ["latest"]},
        headers=auth,
    )
    assert reserved.status_code == 400 and "reserved" in reserved.json()["message"]
    # an account-wide key has no project to name prompts in
    everything = api.post("/api/v1/api-keys", json={"name": "all"}, headers=owner.headers).json()
    forbidden = api.get(
        "/api/public/projects", headers=basic(everything["public_key"], everything["secret"])
    )
    assert forbidden.status_code == 403 and "project API key" in forbidden.json()["message"]
    # a read-only project key cannot create
    read_key = api.post(
        "/api/v1/api-keys",
        json={"name": "ro", "project_id": key["project_id"]},
        headers=owner.headers,
    ).json()
    refused = api.post(
        "/api/public/v2/prompts",
        json={"name": "x", "prompt": "y"},
        headers=basic(read_key["public_key"], read_key["secret"]),
    )
    assert refused.status_code == 403


def test_template_logic_is_served_as_written_and_flagged(api: TestClient, key: dict) -> None:
    auth = basic(key["public_key"], key["secret"])
    text = "{% if vip %}Dear {{ name | title }}{% else %}Hi{% endif %}"
    created = api.post(
        "/api/public/v2/prompts",
        json={"name": "t/logic", "prompt": text, "labels": ["staging"], "tags": None},
        headers=auth,
    )
    assert created.status_code == 200, created.text
    served = api.get("/api/public/v2/prompts/t%2Flogic?label=staging", headers=auth).json()
    assert served["prompt"] == text and served["usesTemplateLogic"] is True
    assert served["config"] == {}
    plain = api.post(
        "/api/public/v2/prompts", json={"name": "t/plain", "prompt": "Hi {{ name }}"}, headers=auth
    ).json()
    assert plain["usesTemplateLogic"] is False


def test_delete_a_version_or_the_whole_prompt(api: TestClient, sdk: Langfuse, key: dict):
    auth = basic(key["public_key"], key["secret"])
    sdk.create_prompt(name="d/x", prompt="one", labels=["staging"])
    sdk.create_prompt(name="d/x", prompt="two")
    assert api.delete("/api/public/v2/prompts/d%2Fx?label=staging", headers=auth).status_code == 204
    versions = api.get("/api/public/v2/prompts?name=d/x", headers=auth).json()["data"][0]
    assert versions["versions"] == [2]
    assert api.delete("/api/public/v2/prompts/d%2Fx", headers=auth).status_code == 204
    assert api.get("/api/public/v2/prompts/d%2Fx?label=latest", headers=auth).status_code == 404


def test_the_sdk_creates_and_compiles_chat_prompts_with_config(
    api: TestClient, sdk: Langfuse, key: dict
) -> None:
    messages = [
        {"role": "system", "content": "You answer about {{ topic }}."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{question}}"},
    ]
    config = {"model": "gpt-4o-mini", "temperature": 0.2, "supported_languages": ["en", "de"]}
    created = sdk.create_prompt(
        name="support/chat",
        type="chat",
        prompt=messages,
        config=config,
        labels=["production"],
        commit_message="chat v1",
    )
    assert created.version == 1 and created.config == config

    prompt = sdk.get_prompt("support/chat", type="chat", cache_ttl_seconds=0)
    assert prompt.version == 1 and prompt.config == config
    assert prompt.commit_message == "chat v1"
    compiled = prompt.compile(
        topic="maps",
        question="Where is the atlas?",
        history=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
    )
    assert compiled == [
        {"role": "system", "content": "You answer about maps."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Where is the atlas?"},
    ]

    # the same version through our REST API: type, messages, config and both variables
    auth = basic(key["public_key"], key["secret"])
    raw = api.get("/api/public/v2/prompts/support%2Fchat", headers=auth).json()
    assert raw["type"] == "chat" and raw["prompt"] == messages
    rest = api.get(f"/api/v1/prompts/{raw['id']}/resolve", headers=bearer(key["secret"])).json()
    assert rest["type"] == "chat" and rest["messages"] == messages
    assert rest["config"] == config and set(rest["variables"]) == {"topic", "question"}

    # a later text version without config carries none (each Langfuse version has its own)
    sdk.create_prompt(name="support/chat", prompt="Now text: {{ topic }}", labels=["staging"])
    text = sdk.get_prompt("support/chat", label="staging", cache_ttl_seconds=0)
    assert text.prompt == "Now text: {{ topic }}" and text.config == {}
    assert sdk.get_prompt("support/chat", type="chat", cache_ttl_seconds=0).version == 1


def test_tags_sent_by_the_sdk_are_stored_served_listed_and_filtered(
    api: TestClient, sdk: Langfuse, key: dict
) -> None:
    auth = basic(key["public_key"], key["secret"])
    sdk.create_prompt(
        name="support/tagged", prompt="Hi", labels=["production"], tags=["Support", "v2"]
    )
    sdk.create_prompt(name="support/plain", prompt="Yo", labels=["production"])
    assert sdk.get_prompt("support/tagged", cache_ttl_seconds=0).tags == ["support", "v2"]

    # Tags belong to the prompt: a new version without tags keeps them, a list replaces them.
    sdk.create_prompt(name="support/tagged", prompt="Hi again", labels=["production"])
    assert sdk.get_prompt("support/tagged", cache_ttl_seconds=0).tags == ["support", "v2"]
    sdk.create_prompt(name="support/tagged", prompt="Hi 3", labels=["production"], tags=["v3"])
    assert sdk.get_prompt("support/tagged", cache_ttl_seconds=0).tags == ["v3"]

    listed = api.get("/api/public/v2/prompts?tag=v3", headers=auth).json()
    assert [(m["name"], m["tags"]) for m in listed["data"]] == [("support/tagged", ["v3"])]
    assert api.get("/api/public/v2/prompts?tag=none", headers=auth).json()["data"] == []

    refused = api.post(
        "/api/public/v2/prompts",
        json={"name": "support/bad", "prompt": "x", "tags": ["two words"]},
        headers=auth,
    )
    assert refused.status_code == 400 and "not a tag" in refused.text
    assert api.get("/api/public/v2/prompts/support%2Fbad", headers=auth).status_code == 404

    # The REST API shows and changes the same tags.
    rest_id = api.get("/api/public/v2/prompts/support%2Ftagged", headers=auth).json()["id"]
    changed = api.patch(
        f"/api/v1/prompts/{rest_id}", json={"tags": ["a", "b"]}, headers=bearer(key["secret"])
    )
    assert changed.status_code == 200 and changed.json()["tags"] == ["a", "b"]
    assert sdk.get_prompt("support/tagged", cache_ttl_seconds=0).tags == ["a", "b"]
