"""Presence: who has a prompt open in the editor right now (issue 16, item 6).

Each open editor tab sends a heartbeat every few seconds (state/editor/presence.py); a tab
is present until `TTL_SECONDS` after its last heartbeat, or until it says it left. With Redis
the tabs of a prompt live in one sorted set (`promptrepo:presence:<prompt>`, tab → expiry
time) beside a hash of who each tab is, so every worker and server sees the same people;
without Redis (one worker) in a dict in this process. A join or a leave is announced on
`presence:<prompt>` through the fan-out (services/events.py), so the other tabs show it at
once; a tab that vanished without leaving (a closed laptop, a killed worker) drops out when
its entry expires, which the others notice at their next heartbeat.

Nothing here is a secret or an access decision: the state checks the viewer may read the
prompt before it heartbeats, and only the team's tabs are on a private prompt's list.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass

from promptrepo.services import events, redis_client
from promptrepo.services.redis_client import REDIS_ERRORS, get_async_redis

TTL_SECONDS = 20.0
HEARTBEAT_SECONDS = 5.0
KEY_PREFIX = "promptrepo:presence:"

_local: dict[str, dict[str, tuple[float, str, str]]] = {}  # prompt -> tab -> (expiry, id, name)
_lock = threading.Lock()


@dataclass(frozen=True)
class Present:
    user_id: str
    name: str

    @property
    def initials(self) -> str:
        words = [w for w in self.name.replace(".", " ").split() if w[:1].isalnum()]
        letters = "".join(w[0] for w in words[:2]).upper()
        return letters or "?"


def topic(prompt_id: uuid.UUID | str) -> str:
    return f"presence:{prompt_id}"


def _redis():
    client = get_async_redis()
    if client is None or not redis_client.usable():
        return None
    return client


async def beat(
    prompt_id: uuid.UUID | str, *, tab: str, user_id: uuid.UUID | str, name: str
) -> list[Present]:
    """A heartbeat of `tab` (see `heartbeat`) and everyone present now, in one round trip."""
    return (await _exchange(str(prompt_id), (tab, str(user_id), name)))[1]


async def heartbeat(
    prompt_id: uuid.UUID | str, *, tab: str, user_id: uuid.UUID | str, name: str
) -> bool:
    """The tab `tab` of `user_id` has the prompt open (for another TTL_SECONDS). Announces a
    tab that was not present yet; returns whether it was new."""
    return (await _exchange(str(prompt_id), (tab, str(user_id), name)))[0]


async def present(prompt_id: uuid.UUID | str) -> list[Present]:
    """Everyone with the prompt open now, one entry per person, by name."""
    return (await _exchange(str(prompt_id), None))[1]


async def leave(prompt_id: uuid.UUID | str, *, tab: str) -> None:
    """The tab closed the prompt (or the page): drop it now and tell the others."""
    prompt = str(prompt_id)
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline()
            pipe.zrem(KEY_PREFIX + prompt, tab)
            pipe.hdel(KEY_PREFIX + prompt + ":who", tab)
            await pipe.execute()
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "presence.leave")
    with _lock:
        _local.get(prompt, {}).pop(tab, None)
    await events.publish_async(topic(prompt), {"kind": "presence", "left": tab})


async def _exchange(prompt: str, entry: tuple[str, str, str] | None) -> tuple[bool, list[Present]]:
    """Record `entry` (tab, user id, name) as present, if given, and read who is present:
    (whether the tab is new, the people). With Redis, one round trip (two when expired tabs
    are to be cleared); awaited, so an event loop never blocks on it."""
    now = time.time()
    new, people = True, {}
    client = _redis()
    if client is not None:
        key = KEY_PREFIX + prompt
        try:
            pipe = client.pipeline()
            if entry is not None:
                tab, user_id, name = entry
                pipe.zadd(key, {tab: now + TTL_SECONDS})
                pipe.hset(key + ":who", tab, json.dumps({"user_id": user_id, "name": name}))
                pipe.expire(key, int(TTL_SECONDS * 3))
                pipe.expire(key + ":who", int(TTL_SECONDS * 3))
            pipe.zrangebyscore(key, now, "+inf")
            pipe.zrangebyscore(key, "-inf", now)
            pipe.hgetall(key + ":who")
            answers = await pipe.execute()
            live, expired, who = answers[-3:]
            if expired:
                pipe = client.pipeline()
                pipe.zrem(key, *expired)
                pipe.hdel(key + ":who", *expired)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "presence")
            client = None
        else:
            redis_client.report_success()
            new = entry is None or bool(answers[0])
            for tab in live:
                raw = who.get(tab)
                if raw:
                    person = json.loads(raw)
                    people[person["user_id"]] = person["name"]
    if client is None:
        with _lock:
            tabs = _local.setdefault(prompt, {}) if entry is not None else _local.get(prompt, {})
            if entry is not None:
                tab, user_id, name = entry
                old = tabs.get(tab)
                new = old is None or old[0] < now
                tabs[tab] = (now + TTL_SECONDS, user_id, name)
            for tab, (expiry, user_id, name) in list(tabs.items()):
                if expiry < now:
                    del tabs[tab]
                else:
                    people[user_id] = name
    if entry is not None and new:
        await events.publish_async(topic(prompt), {"kind": "presence", "joined": entry[1]})
    return new, sorted(
        (Present(user_id=u, name=n) for u, n in people.items()), key=lambda p: p.name.lower()
    )
