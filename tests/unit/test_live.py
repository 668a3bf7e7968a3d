"""Live views (state/live.follow): which messages refresh a view, and what a quiet heartbeat
costs. The fan-out is the in-process one; the state is a stand-in that counts its locks."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from promptrepo.services import events
from promptrepo.state import live
from tests.support.run_async import run_async

TOPIC = "project:test-live"


class FakeState:
    """What follow() uses of a Reflex state: `async with` (the lock) and the router."""

    def __init__(self) -> None:
        self.router = SimpleNamespace(session=SimpleNamespace(client_token="tab-1"))
        self.locks = 0

    async def __aenter__(self) -> FakeState:
        self.locks += 1
        return self

    async def __aexit__(self, *exc) -> None:
        return None


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch):
    from promptrepo.settings import settings

    monkeypatch.setattr(settings, "redis_url", None)
    sockets = {"tab-1": "sid-1"}
    monkeypatch.setattr(live, "socket_of", lambda token: sockets.get(token))
    monkeypatch.setattr(live, "client_connected", lambda token: token in sockets)
    return sockets


def _run(state, sockets, scenario, **options):
    refreshed: list[int] = []

    async def main() -> None:
        follower = asyncio.create_task(
            live.follow(
                state,
                TOPIC,
                refresh=lambda: refreshed.append(1),
                still_wanted=lambda: True,
                heartbeat=0.05,
                **options,
            )
        )
        await asyncio.sleep(0.1)  # subscribed
        await scenario()
        sockets.clear()  # the tab closes: the follower ends at its next heartbeat
        await asyncio.wait_for(follower, 2)

    run_async(main())
    return refreshed


def test_a_declined_message_does_not_refresh_and_an_accepted_one_does(in_process) -> None:
    state = FakeState()

    async def scenario() -> None:
        events.publish(TOPIC, {"kind": "draft", "mine": True})
        await asyncio.sleep(0.1)
        events.publish(TOPIC, {"kind": "updated"})
        await asyncio.sleep(0.1)

    refreshed = _run(
        state,
        in_process,
        scenario,
        relevant=lambda messages: any(not m.get("mine") for m in messages),
    )
    assert refreshed == [1]


def test_quiet_heartbeats_take_the_lock_only_now_and_then(in_process) -> None:
    state = FakeState()

    async def scenario() -> None:
        await asyncio.sleep(0.05 * 3 * live.LOCKED_CHECK_BEATS)  # ~3 locked checks' worth

    _run(state, in_process, scenario)
    beats = 3 * live.LOCKED_CHECK_BEATS
    # the first check, one more after it (a new websocket), then one every LOCKED_CHECK_BEATS
    assert 1 <= state.locks <= beats // live.LOCKED_CHECK_BEATS + 3, state.locks


def test_a_new_follower_takes_no_lock_until_its_first_periodic_check(in_process) -> None:
    """Three followers start with each editor page (changes, presence, the bell): none of
    them takes the state's lock just to learn which tab it follows."""
    state = FakeState()

    async def scenario() -> None:
        # _run has let 0.1 s (two heartbeats) pass already
        await asyncio.sleep(0.05 * (live.LOCKED_CHECK_BEATS - 1.5) - 0.1)
        assert state.locks == 0
        await asyncio.sleep(0.05 * 2)
        assert state.locks == 1

    _run(state, in_process, scenario)


def test_a_new_websocket_is_checked_under_the_lock_at_once(in_process) -> None:
    state = FakeState()

    async def scenario() -> None:
        await asyncio.sleep(0.12)
        before = state.locks
        in_process["tab-1"] = "sid-2"  # a reload reconnected the tab
        await asyncio.sleep(0.12)
        assert state.locks > before

    _run(state, in_process, scenario)


def test_a_follower_replaced_after_a_reconnect_ends_within_two_beats(in_process) -> None:
    """A reload onto another worker: the old follower's lock-free check sees the new websocket
    and checks under the lock, maybe before the new page load has recorded its follower; the
    check after that one ends it, without waiting LOCKED_CHECK_BEATS heartbeats."""
    state = FakeState()
    wanted = {"yes": True}

    async def main() -> None:
        follower = asyncio.create_task(
            live.follow(
                state,
                TOPIC,
                refresh=lambda: None,
                still_wanted=lambda: wanted["yes"],
                heartbeat=0.05,
            )
        )
        await asyncio.sleep(0.12)  # past the first checks
        before = state.locks
        in_process["tab-1"] = "sid-2"  # the reload reconnected the tab
        while state.locks == before:  # the old follower notices it under the lock...
            await asyncio.sleep(0.005)
        wanted["yes"] = False  # ...and only then does the new page load replace it
        await asyncio.wait_for(follower, 0.05 * 2.5)

    run_async(main())


def _draft_save_message(session, monkeypatch, **save) -> tuple[dict, object, object]:
    """Save a new prompt's draft with `save` options; the message its project's topic got,
    the project and the saved prompt."""
    from promptrepo.services import changes, drafts
    from tests.factories import make_user
    from tests.prompt_factories import make_prompt

    heard: list[tuple[str, dict]] = []
    owner = make_user(session)
    project, prompt = make_prompt(session, owner, content="Hello")
    session.commit()
    monkeypatch.setattr(
        events, "publish_many", lambda topics, message: heard.extend((t, message) for t in topics)
    )
    saved = drafts.save_draft(
        session, owner, prompt.id, base_revision=prompt.revision, content="Hi", **save
    )
    session.commit()
    return dict(heard)[changes.project_topic(project.id)], project, saved


def test_a_draft_save_says_which_prompt_and_revision(session, monkeypatch) -> None:
    message, project, saved = _draft_save_message(session, monkeypatch)
    assert message == {
        "project_id": str(project.id),
        "kind": "draft",
        "prompt_id": str(saved.id),
        "revision": saved.revision,
    }


def test_a_probe_that_declines_costs_no_lock_and_one_that_asks_refreshes(in_process) -> None:
    """Presence and the editor ask `probe` first, without the state's lock: declined
    heartbeats and messages cost no state round trip beyond the occasional locked check."""
    state = FakeState()
    asked: list[tuple[int, str]] = []
    wanted = {"now": False}

    def probe(messages, tab):
        asked.append((len(messages), tab))
        return wanted["now"] or any(m.get("kind") == "updated" for m in messages)

    async def scenario() -> None:
        await asyncio.sleep(0.12)
        events.publish(TOPIC, {"kind": "draft", "origin": "tab-1"})  # its own save
        await asyncio.sleep(0.12)
        locks_before = state.locks
        events.publish(TOPIC, {"kind": "updated"})
        await asyncio.sleep(0.12)
        assert state.locks == locks_before + 1
        wanted["now"] = True  # e.g. someone joined: the next heartbeat refreshes
        await asyncio.sleep(0.08)
        wanted["now"] = False

    refreshed = _run(state, in_process, scenario, probe=probe)
    assert len(refreshed) >= 2  # the accepted message and the changed heartbeat
    assert {tab for _, tab in asked} == {"tab-1"}  # known from the start: no lock needed
    # Heartbeats declined by the probe took the lock only every LOCKED_CHECK_BEATS.
    assert state.locks <= len(refreshed) + len(asked) // live.LOCKED_CHECK_BEATS + 2


def test_a_draft_save_names_the_tab_that_saved_it(session, monkeypatch) -> None:
    from promptrepo.state.editor.draft import _own_or_other_draft

    message, _, prompt = _draft_save_message(session, monkeypatch, origin="tab-9")
    assert message["origin"] == "tab-9"
    # The editor's watcher skips it in that tab, without its state's lock, and not elsewhere.
    assert _own_or_other_draft(message, prompt.id, "tab-9")
    assert not _own_or_other_draft(message, prompt.id, "tab-other")
    assert _own_or_other_draft({**message, "origin": None}, "another-prompt", "tab-other")
    assert not _own_or_other_draft({"kind": "updated"}, prompt.id, "tab-9")
