"""The MCP server at /mcp, driven by the official `mcp` client over real HTTP.

The API app object (create_api(), the same one the built app mounts) is served by uvicorn on
loopback in a thread, on SQLite and PostgreSQL, with the in-process and the Redis fan-out.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx2
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


@contextmanager
def _served_api() -> Iterator[str]:
    """create_api() served by uvicorn on loopback, in a thread with its own event loop: in
    MCP's terms, one worker."""
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
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live_url(use_engine, kv_backend) -> Iterator[str]:
    with _served_api() as url:
        yield url


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


def client(url: str, key: str, transport: httpx2.AsyncBaseTransport | None = None, **kwargs):
    """The official client for /mcp at `url` with the API key; `transport` (optional) carries
    its HTTP requests."""
    headers = {"Authorization": f"Bearer {key}"}
    if transport is None:
        http = create_mcp_http_client(headers=headers)
    else:
        http = httpx2.AsyncClient(
            transport=transport, headers=headers, timeout=httpx2.Timeout(30, read=300)
        )
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


def _publish_version_two(owner: Caller, prompt_id) -> None:
    # acting as the owner: on PostgreSQL the app role sees only the acting user's rows
    with session_scope(acting_as=owner.principal.user_id) as session:
        from promptrepo.services import drafts

        drafts.save_draft(
            session,
            owner.principal,
            prompt_id,
            base_revision=None,
            content="Summary ({{ tone }}): {{ text }}",
            force=True,
        )
        versions.create_version(session, owner.principal, prompt_id, commit_message="v2")
        versions.set_label(session, owner.principal, prompt_id, "production", 2)


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
            await _until_list_changed(received)
            got = await mcp.get_prompt("tools/summary", {"text": "a", "tone": "formal"})
            assert got.messages[0].content.text == "Summary (formal): a"  # cache dropped

    asyncio.run(main())


def _is_list_changed(message) -> bool:
    root = getattr(message, "root", message)
    return isinstance(root, types.PromptListChangedNotification)


async def _until(done: Callable[[], bool], failure: Callable[[], object]) -> None:
    """Wait (10 s at most, polling every 50 ms) until `done()`; else fail with `failure()`."""
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline, failure()
        await asyncio.sleep(0.05)


async def _until_list_changed(received: list) -> None:
    """Wait until a `prompts/list_changed` notification is among `received`."""
    await _until(
        lambda: any(_is_list_changed(m) for m in received),
        lambda: f"no list_changed; got {received}",
    )


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


class _Rerouting(httpx2.AsyncBaseTransport):
    """Base for the transports below: each sends a request to the loopback port (the worker)
    it picks, not necessarily the one the client asked for."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()

    async def forward(self, request, port: int | None = None):
        if port is not None:
            request.url = request.url.copy_with(port=port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _SlowStream(_Rerouting):
    """Holds back the first GET (the client's notification stream) by `delay` seconds, as a
    slow network or a stream reconnecting after a proxy closed it would; GETs go to
    `stream_url` (another worker, say), everything else where it was sent."""

    def __init__(self, delay: float, stream_url: str) -> None:
        super().__init__()
        self.delay = delay
        self.stream_port = _port(stream_url)
        self.held = False

    async def handle_async_request(self, request):
        if request.method != "GET":
            return await self.forward(request)
        if not self.held:
            self.held = True
            await asyncio.sleep(self.delay)
        return await self.forward(request, self.stream_port)


@pytest.mark.parametrize("stream_on", ["the same worker", "another worker"])
def test_a_stream_that_opens_after_a_label_move_is_sent_what_it_missed(
    use_engine, kv_backend, published: dict, owner: Caller, stream_on: str
) -> None:
    """The label moves while the session's GET stream is not open yet (the SDK drops a
    notification sent then): once it opens, on the worker that opened the session or on
    another that adopts it, list_changed comes all the same, once. A session opened after
    the move is not told of it (its first list has it already)."""
    received: list = []
    later: list = []

    async def on_message(message) -> None:
        received.append(message)

    async def on_later_message(message) -> None:
        later.append(message)

    async def main(url: str, stream_url: str):
        transport = _SlowStream(delay=1.5, stream_url=stream_url)
        async with client(
            url, published["key"], transport=transport, mode="legacy", message_handler=on_message
        ) as mcp:
            await mcp.list_prompts()
            assert transport.held  # the stream is on its way, not open
            await asyncio.to_thread(_publish_version_two, owner, published["prompt_id"])
            await _until_list_changed(received)
            async with client(
                url, published["key"], mode="legacy", message_handler=on_later_message
            ) as fresh:
                await fresh.list_prompts()
                await asyncio.sleep(1.0)  # its stream is open by now
            await asyncio.sleep(0.3)
        assert sum(_is_list_changed(m) for m in received) == 1
        assert not any(_is_list_changed(m) for m in later)

    with _served_api() as first:
        if stream_on == "the same worker":
            asyncio.run(main(first, first))
        else:
            with _served_api() as second:
                asyncio.run(main(first, second))


class _RoundRobin(_Rerouting):
    """Sends each request to the next of several servers, as a load balancer (or the kernel
    between one server's workers) may: a session's requests land on different workers."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__()
        self.ports = itertools.cycle([_port(u) for u in urls])
        self.sent: list[int] = []

    async def handle_async_request(self, request):
        port = next(self.ports)
        self.sent.append(port)
        return await self.forward(request, port)


def test_one_session_is_served_by_every_worker_and_notified_where_its_stream_is(
    use_engine, kv_backend, published: dict, owner: Caller
) -> None:
    """Legacy (handshake) sessions live in a worker's memory in the SDK; here the requests of
    one session alternate between two workers: initialize on one, the rest anywhere, and the
    list_changed notification arrives on the GET stream, wherever that is."""
    received: list = []

    async def on_message(message) -> None:
        received.append(message)

    with _served_api() as first, _served_api() as second:
        transport = _RoundRobin([first, second])

        async def main():
            async with client(
                first,
                published["key"],
                transport=transport,
                mode="legacy",
                message_handler=on_message,
            ) as mcp:
                for _ in range(3):  # each call may reach either worker
                    (prompt,) = (await mcp.list_prompts()).prompts
                    assert prompt.name == "tools/summary"
                    got = await mcp.get_prompt("tools/summary", {"text": "a", "tone": "formal"})
                    assert got.messages[0].content.text == "Summarise in 50 words, formal: a"
                with pytest.raises(MCPError) as missing:
                    await mcp.get_prompt("tools/summary", {"tone": "casual"})
                assert "text" in str(missing.value)

                await asyncio.to_thread(_publish_version_two, owner, published["prompt_id"])
                await _until_list_changed(received)
                got = await mcp.get_prompt("tools/summary", {"text": "a", "tone": "formal"})
                assert got.messages[0].content.text == "Summary (formal): a"
                session_id = mcp.session_id if hasattr(mcp, "session_id") else None
            await asyncio.sleep(0.3)
            # exactly one notification: only the copy holding the GET stream delivers it
            assert sum(_is_list_changed(m) for m in received) == 1
            assert len(set(transport.sent)) == 2  # both workers served this session
            return session_id

        asyncio.run(main())


class _StreamWhereOpened(_Rerouting):
    """initialize and the GET stream go to `home` (the worker that opens the session), every
    other request to `away`: the opening worker sees no message of the session after its
    handshake, yet holds its stream."""

    def __init__(self, home: str, away: str) -> None:
        super().__init__()
        self.home = _port(home)
        self.away = _port(away)
        self.sent: list[tuple[str, int]] = []

    async def handle_async_request(self, request):
        body = await request.aread()
        method = json.loads(body).get("method") if body else None
        port = self.home if request.method == "GET" or method == "initialize" else self.away
        self.sent.append((request.method, port))
        return await self.forward(request, port)


def test_the_worker_that_opened_a_session_notifies_the_stream_it_holds(
    use_engine, kv_backend, published: dict, owner: Caller
) -> None:
    """The session opens on one worker, which then gets only its GET stream; every call goes
    to another. A label move is sent on that stream, once."""
    received: list = []

    async def on_message(message) -> None:
        received.append(message)

    with _served_api() as home, _served_api() as away:
        transport = _StreamWhereOpened(home, away)

        async def main():
            async with client(
                home,
                published["key"],
                transport=transport,
                mode="legacy",
                message_handler=on_message,
            ) as mcp:
                await mcp.list_prompts()
                await _until(
                    lambda: ("GET", transport.home) in transport.sent, lambda: transport.sent
                )
                await asyncio.sleep(0.5)  # the stream is open on `home` by now
                await asyncio.to_thread(_publish_version_two, owner, published["prompt_id"])
                await _until_list_changed(received)
                await asyncio.sleep(0.3)
            assert sum(_is_list_changed(m) for m in received) == 1
            assert ("POST", transport.away) in transport.sent

        asyncio.run(main())


def test_another_credential_cannot_use_a_session_opened_on_another_worker(
    use_engine, kv_backend, published: dict, owner: Caller
) -> None:
    import httpx

    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "probe", "version": "1"},
        },
    }
    accept = {"Accept": "application/json, text/event-stream"}
    with _served_api() as first, _served_api() as second:
        opened = httpx.post(
            f"{first}/mcp",
            json=initialize,
            headers={**accept, "Authorization": f"Bearer {published['key']}"},
        )
        assert opened.status_code == 200, opened.text
        session_id = opened.headers["mcp-session-id"]
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        headers = {**accept, "mcp-session-id": session_id, "mcp-protocol-version": "2025-06-18"}
        stranger = httpx.post(
            f"{second}/mcp",
            json=ping,
            headers={**headers, "Authorization": f"Bearer {owner.read_key}"},
        )
        assert stranger.status_code == 404  # another key: the session does not exist for it
        same = httpx.post(
            f"{second}/mcp",
            json=ping,
            headers={**headers, "Authorization": f"Bearer {published['key']}"},
        )
        assert same.status_code == 200, same.text


def test_a_split_production_is_picked_by_the_callers_key(
    live_url: str, published: dict, owner: Caller, session: Session
) -> None:
    """prompts/get of a split label: `_meta.key` always gets the same version; both serve."""
    from promptrepo.models import Prompt
    from promptrepo.services import drafts, splits

    prompt = session.get(Prompt, published["prompt_id"])
    drafts.save_draft(
        session,
        owner.principal,
        published["prompt_id"],
        base_revision=prompt.revision,
        content="Sum up in {{ words }} words, {{ tone }}: {{ text }}",
    )
    versions.create_version(session, owner.principal, published["prompt_id"], commit_message="v2")
    splits.set_split(
        session, owner.principal, published["prompt_id"], "production", [(1, 50), (2, 50)]
    )
    session.commit()
    arguments = {"text": "PromptRepo", "tone": "casual"}

    async def main() -> dict[str, str]:
        picked: dict[str, str] = {}
        async with client(live_url, published["key"]) as mcp:
            for i in range(15):  # 30 requests: within the free plan's 60 a minute
                for _ in range(2):
                    got = await mcp.get_prompt(
                        "tools/summary", arguments, meta={"key": f"user-{i}"}
                    )
                    text = got.messages[0].content.text
                    assert picked.setdefault(f"user-{i}", text) == text
        return picked

    picked = asyncio.run(main())
    assert set(picked.values()) == {
        "Summarise in 50 words, casual: PromptRepo",
        "Sum up in 50 words, casual: PromptRepo",
    }


def test_a_client_that_stops_reading_delays_no_other_session(monkeypatch) -> None:
    """Each session is notified on its own, within a time limit: one whose stream is not
    read (its send never completes) neither holds up the others nor the next event, and is
    dropped."""
    import uuid

    from promptrepo.api import mcp_server
    from promptrepo.services.principal import Principal

    monkeypatch.setattr(mcp_server, "NOTIFY_TIMEOUT_SECONDS", 0.3)

    class Stuck:
        async def send_prompt_list_changed(self) -> None:
            await asyncio.Event().wait()

    class Reader:
        def __init__(self) -> None:
            self.heard = 0

        async def send_prompt_list_changed(self) -> None:
            self.heard += 1

    owner = Principal(user_id=uuid.uuid4(), email="o@example.com", name="O")
    stranger = Principal(user_id=uuid.uuid4(), email="s@example.com", name="S")
    event = {"type": "label.moved", "owner_id": str(owner.user_id), "project_id": "p"}

    async def main() -> None:
        sessions = mcp_server._Sessions()
        reader, other = Reader(), Reader()
        sessions.remember("stuck", Stuck(), owner)
        sessions.remember("reader", reader, owner)
        sessions.remember("stranger", other, stranger)
        started = time.monotonic()
        await sessions.notify(event)
        await sessions.notify(event)
        assert time.monotonic() - started < 0.1  # the listener never waits on a client
        await asyncio.sleep(0.05)
        assert reader.heard == 2 and other.heard == 0  # only those who can read the prompt
        await asyncio.sleep(0.5)
        assert "stuck" not in sessions.sessions and "reader" in sessions.sessions

    asyncio.run(main())


def test_recent_changes_are_told_to_each_reader_within_their_reach(kv_backend) -> None:
    """A label move is remembered for the owner and every member, for an account-wide key
    and for a key of that project, not for a key of another project or a stranger; and only
    for sessions opened before it."""
    import uuid

    from promptrepo.services import recent_changes
    from promptrepo.services.principal import Principal

    def person(project_id=None) -> Principal:
        return Principal(
            user_id=uuid.uuid4(), email="p@example.com", name="P", api_key_project_id=project_id
        )

    project, other_project = uuid.uuid4(), uuid.uuid4()
    owner, member, stranger = person(), person(project), person()
    owner_other_key = Principal(
        user_id=owner.user_id, email="p@example.com", name="P", api_key_project_id=other_project
    )
    opened = time.time()
    recent_changes.note(
        {
            "type": "label.moved",
            "project_id": str(project),
            "owner_id": str(owner.user_id),
            "member_ids": [str(member.user_id)],
        }
    )

    def told(principal: Principal, since: float = opened) -> bool:
        return asyncio.run(recent_changes.changed_since(principal, since))

    assert told(owner) and told(member)
    assert not told(owner_other_key) and not told(stranger)
    assert not told(owner, since=time.time() + 1)  # a session opened after it
