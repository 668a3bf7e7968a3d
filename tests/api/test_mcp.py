"""The MCP server at /mcp, driven by the official `mcp` client over real HTTP.

The API app object (create_api(), the same one the built app mounts) is served by uvicorn on
loopback in a thread, on SQLite and PostgreSQL, with the in-process and the Redis fan-out.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from sqlmodel import Session

from promptrepo.db import session_scope
from promptrepo.services import api_keys, projects, prompts, segments, versions
from tests.api.conftest import Caller

SPEC = {
    "text": {
        "type": "string",
        "required": True,
        "description": "What to summarise",
        "example": "A long text",
    },
    "tone": {
        "type": "enum",
        "options": ["formal", "casual"],
        "required": True,
        "example": "formal",
    },
    "words": {"type": "number", "required": False, "default": 50},
}


@pytest.fixture
def live_url(use_engine, kv_backend) -> Iterator[str]:
    from promptrepo.api import create_api

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_api(), host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def published(session: Session, owner: Caller) -> dict:
    project = projects.create_project(session, owner.principal, name="Writing")
    segment = segments.create_segment(session, owner.principal, project.id, name="tools")
    prompt = prompts.create_prompt(
        session,
        owner.principal,
        segment.id,
        name="summary",
        content="Summarise in {{ words }} words, {{ tone }}: {{ text }}",
        variables=SPEC,
    )
    versions.create_version(session, owner.principal, prompt.id, commit_message="Summaries")
    versions.set_label(session, owner.principal, prompt.id, "production", 1)
    _, key = api_keys.create_api_key(
        session, owner.principal, name="mcp", scope="read", project_id=project.id
    )
    session.commit()
    return {"project_id": project.id, "prompt_id": prompt.id, "key": key}


def client(url: str, key: str, **kwargs) -> Client:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), **kwargs)


def test_list_and_get_render_production_with_arguments(
    live_url: str, published: dict, owner: Caller
) -> None:
    async def main():
        async with client(live_url, published["key"]) as mcp:
            listed = await mcp.list_prompts()
            (prompt,) = listed.prompts
            assert prompt.name == "tools/summary" and prompt.description == "Summaries"
            arguments = {a.name: a for a in prompt.arguments}
            assert arguments["text"].required and arguments["tone"].required
            assert not arguments["words"].required  # it has a default
            assert "formal, casual" in arguments["tone"].description
            assert "number" in arguments["words"].description

            got = await mcp.get_prompt("tools/summary", {"text": "PromptRepo", "tone": "casual"})
            assert got.messages[0].role == "user"
            assert got.messages[0].content.text == "Summarise in 50 words, casual: PromptRepo"

            with pytest.raises(MCPError) as missing:
                await mcp.get_prompt("tools/summary", {"tone": "casual"})
            assert "text" in str(missing.value)
            with pytest.raises(MCPError) as ill_typed:
                await mcp.get_prompt(
                    "tools/summary", {"text": "x", "tone": "casual", "words": "many"}
                )
            assert "words" in str(ill_typed.value)
            with pytest.raises(MCPError):
                await mcp.get_prompt("tools/nothing", {})

            completed = await mcp.complete(
                types.PromptReference(type="ref/prompt", name="tools/summary"),
                {"name": "tone", "value": "f"},
            )
            assert completed.completion.values == ["formal"]

    asyncio.run(main())


def test_an_account_key_names_prompts_with_their_project_and_bad_keys_are_401(
    live_url: str, published: dict, owner: Caller
) -> None:
    import httpx

    async def main():
        async with client(live_url, owner.read_key) as mcp:
            names = [p.name for p in (await mcp.list_prompts()).prompts]
            assert names == ["Writing/tools/summary"]
            got = await mcp.get_prompt(
                "Writing/tools/summary", {"text": "t", "tone": "formal", "words": "3"}
            )
            assert got.messages[0].content.text == "Summarise in 3 words, formal: t"

    asyncio.run(main())
    refused = httpx.post(
        f"{live_url}/mcp", json={}, headers={"Authorization": "Bearer pr_not-a-key"}
    )
    assert refused.status_code == 401
    assert httpx.post(f"{live_url}/mcp", json={}).status_code == 401


def test_a_label_move_notifies_connected_sessions(
    live_url: str, published: dict, owner: Caller
) -> None:
    received: list = []

    async def on_message(message) -> None:
        received.append(message)

    def publish_version_two() -> None:
        # acting as the owner: on PostgreSQL the app role sees only the acting user's rows
        with session_scope(acting_as=owner.principal.user_id) as session:
            from promptrepo.services import drafts

            drafts.save_draft(
                session,
                owner.principal,
                published["prompt_id"],
                base_revision=None,
                content="Summary ({{ tone }}): {{ text }}",
                force=True,
            )
            versions.create_version(
                session, owner.principal, published["prompt_id"], commit_message="v2"
            )
            versions.set_label(session, owner.principal, published["prompt_id"], "production", 2)

    async def main():
        async with client(
            live_url, published["key"], mode="legacy", message_handler=on_message
        ) as mcp:
            await mcp.list_prompts()
            await asyncio.to_thread(publish_version_two)
            deadline = time.monotonic() + 10
            while not any(_is_list_changed(m) for m in received):
                assert time.monotonic() < deadline, f"no list_changed; got {received}"
                await asyncio.sleep(0.05)
            got = await mcp.get_prompt("tools/summary", {"text": "a", "tone": "formal"})
            assert got.messages[0].content.text == "Summary (formal): a"  # cache dropped

    asyncio.run(main())


def _is_list_changed(message) -> bool:
    root = getattr(message, "root", message)
    return isinstance(root, types.PromptListChangedNotification)
