"""Presence (issue 16, item 6): who has a prompt open, in process and through Redis (what every
worker shares), with heartbeats that expire."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from promptrepo.services import events, presence


@pytest.fixture
def prompt_id() -> str:
    return str(uuid.uuid4())


def test_tabs_appear_once_per_person_and_leave(kv_backend: str, prompt_id: str) -> None:
    ana, bob = str(uuid.uuid4()), str(uuid.uuid4())
    assert presence.heartbeat(prompt_id, tab="t1", user_id=ana, name="Ana Lopez")
    assert not presence.heartbeat(prompt_id, tab="t1", user_id=ana, name="Ana Lopez")
    presence.heartbeat(prompt_id, tab="t2", user_id=ana, name="Ana Lopez")  # a second tab
    presence.heartbeat(prompt_id, tab="t3", user_id=bob, name="bob")
    people = presence.present(prompt_id)
    assert [(p.name, p.initials) for p in people] == [("Ana Lopez", "AL"), ("bob", "B")]
    presence.leave(prompt_id, tab="t3")
    assert [p.user_id for p in presence.present(prompt_id)] == [ana]
    presence.leave(prompt_id, tab="t1")
    assert [p.user_id for p in presence.present(prompt_id)] == [ana]  # t2 is still open
    assert presence.present(str(uuid.uuid4())) == []


def test_a_tab_that_stops_beating_expires(
    kv_backend: str, prompt_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(presence.time, "time", lambda: now[0])
    presence.heartbeat(prompt_id, tab="gone", user_id=str(uuid.uuid4()), name="Gone")
    now[0] += presence.TTL_SECONDS - 1
    assert len(presence.present(prompt_id)) == 1
    now[0] += 2
    assert presence.present(prompt_id) == []
    assert presence.TTL_SECONDS + presence.HEARTBEAT_SECONDS <= 30  # a closed tab clears in 30 s


def test_joins_and_leaves_are_announced(kv_backend: str, prompt_id: str) -> None:
    async def scenario() -> list[dict]:
        heard: list[dict] = []

        async def listen() -> None:
            async for message in events.subscribe([presence.topic(prompt_id)]):
                heard.append(message)
                if len(heard) == 2:
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.3)  # subscribed
        user = str(uuid.uuid4())
        await asyncio.to_thread(presence.heartbeat, prompt_id, tab="t", user_id=user, name="A")
        await asyncio.to_thread(presence.heartbeat, prompt_id, tab="t", user_id=user, name="A")
        await asyncio.to_thread(presence.leave, prompt_id, tab="t")
        await asyncio.wait_for(task, 5)
        return heard

    heard = asyncio.run(scenario())
    assert [("joined" in m, "left" in m) for m in heard] == [(True, False), (False, True)]
