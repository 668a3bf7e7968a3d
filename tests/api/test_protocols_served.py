"""The three protocols through the real built app (production mode, PostgreSQL, Redis, two
workers): the unchanged `langfuse` SDK, the official `mcp` client, and a webhook delivered by
the app's own worker to a receiver on loopback that verifies the Standard Webhooks signature.

The webhook receiver is on loopback, so this app runs with WEBHOOK_ALLOW_PRIVATE=true (see
tests/app_server.py).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from langfuse import Langfuse
from langfuse.api import NotFoundError
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from standardwebhooks import Webhook as Verifier

from tests.api.conftest import Caller, bearer, make_caller


@pytest.fixture
def owner(app_server) -> Caller:
    with app_server.session() as session:
        return make_caller(session, plan="pro", name="Protocols")


def test_langfuse_sdk_mcp_and_webhooks_against_the_built_app(app_server, owner: Caller) -> None:
    received: list[dict] = []
    secret: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["content-length"]))
            Verifier(secret["value"]).verify(body, {k.lower(): v for k, v in self.headers.items()})
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    api = httpx.Client(base_url=app_server.url + "/api/v1", timeout=30)
    try:
        project = api.post("/projects", json={"name": "Proto"}, headers=owner.headers).json()
        key = api.post(
            "/api-keys",
            json={"name": "sdk", "scope": "write", "project_id": project["id"]},
            headers=owner.headers,
        ).json()
        hook = api.post(
            f"/projects/{project['id']}/webhooks",
            json={
                "url": f"http://127.0.0.1:{receiver.server_port}/hook",
                "events": ["label.moved"],
            },
            headers=owner.headers,
        )
        assert hook.status_code == 201, hook.text
        secret["value"] = hook.json()["secret"]

        sdk = Langfuse(
            public_key=key["public_key"],
            secret_key=key["secret"],
            base_url=app_server.url,
            tracing_enabled=False,
        )
        assert sdk.auth_check()
        sdk.create_prompt(name="bot/greet", prompt="Hello {{ name }}", labels=["production"])
        prompt = sdk.get_prompt("bot/greet", cache_ttl_seconds=0)
        assert prompt.version == 1 and prompt.compile(name="Ada") == "Hello Ada"
        with pytest.raises(NotFoundError):
            sdk.get_prompt("bot/none", cache_ttl_seconds=0)
        # the same prompt through REST
        listed = api.get(f"/projects/{project['id']}", headers=bearer(key["secret"])).json()
        prompt_id = listed["segments"][0]["prompts"][0]["id"]
        rest = api.get(f"/prompts/{prompt_id}/resolve", headers=bearer(key["secret"])).json()
        assert rest["content"] == "Hello {{ name }}"

        async def mcp_session():
            events: list = []

            async def on_message(message) -> None:
                events.append(getattr(message, "root", message))

            http = create_mcp_http_client(headers={"Authorization": f"Bearer {key['secret']}"})
            async with Client(
                streamable_http_client(f"{app_server.url}/mcp", http_client=http),
                mode="legacy",
                message_handler=on_message,
            ) as mcp:
                names = [p.name for p in (await mcp.list_prompts()).prompts]
                assert names == ["bot/greet"]
                got = await mcp.get_prompt("bot/greet", {"name": "Grace"})
                assert got.messages[0].content.text == "Hello Grace"
                with pytest.raises(Exception, match="name"):
                    await mcp.get_prompt("bot/greet", {})
                await asyncio.to_thread(
                    sdk.create_prompt,
                    name="bot/greet",
                    prompt="Hi {{ name }}",
                    labels=["production"],
                )
                deadline = time.monotonic() + 15
                while not any(isinstance(e, types.PromptListChangedNotification) for e in events):
                    assert time.monotonic() < deadline, (
                        f"no list_changed notification:\n{app_server.log_tail(80)}"
                    )
                    await asyncio.sleep(0.1)
                got = await mcp.get_prompt("bot/greet", {"name": "Grace"})
                assert got.messages[0].content.text == "Hi Grace"

        asyncio.run(mcp_session())
        sdk.shutdown()

        deadline = time.monotonic() + 30
        while len(received) < 2:
            assert time.monotonic() < deadline, f"webhooks not delivered: {received}"
            time.sleep(0.2)
        assert sorted(e["data"]["version"] for e in received) == [1, 2]
        assert {e["type"] for e in received} == {"label.moved"}
    finally:
        api.close()
        receiver.shutdown()
