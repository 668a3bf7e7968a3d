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
from promptrepo.services.redis_client import REDIS_ERRORS, get_redis

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
    client = get_redis()
    if client is None or not redis_client.usable():
        return None
    return client


def heartbeat(prompt_id: uuid.UUID | str, *, tab: str, user_id: uuid.UUID | str, name: str) -> bool:
    """The tab `tab` of `user_id` has the prompt open (for another TTL_SECONDS). Announces a
    tab that was not present yet; returns whether it was new."""
    prompt, now = str(prompt_id), time.time()
    who = json.dumps({"user_id": str(user_id), "name": name})
    client = _redis()
    new = True
    if client is not None:
        key = KEY_PREFIX + prompt
        try:
            pipe = client.pipeline()
            pipe.zadd(key, {tab: now + TTL_SECONDS})
            pipe.hset(key + ":who", tab, who)
            pipe.expire(key, int(TTL_SECONDS * 3))
            pipe.expire(key + ":who", int(TTL_SECONDS * 3))
            added = pipe.execute()[0]
            new = bool(added)
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "presence.heartbeat")
            client = None
        else:
            redis_client.report_success()
    if client is None:
        with _lock:
            tabs = _local.setdefault(prompt, {})
            entry = tabs.get(tab)
            new = entry is None or entry[0] < now
            tabs[tab] = (now + TTL_SECONDS, str(user_id), name)
    if new:
        events.publish(topic(prompt), {"kind": "presence", "joined": str(user_id)})
    return new


def leave(prompt_id: uuid.UUID | str, *, tab: str) -> None:
    """The tab closed the prompt (or the page): drop it now and tell the others."""
    prompt = str(prompt_id)
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline()
            pipe.zrem(KEY_PREFIX + prompt, tab)
            pipe.hdel(KEY_PREFIX + prompt + ":who", tab)
            pipe.execute()
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "presence.leave")
    with _lock:
        _local.get(prompt, {}).pop(tab, None)
    events.publish(topic(prompt), {"kind": "presence", "left": tab})


def present(prompt_id: uuid.UUID | str) -> list[Present]:
    """Everyone with the prompt open now, one entry per person, by name."""
    prompt, now = str(prompt_id), time.time()
    people: dict[str, str] = {}
    client = _redis()
    if client is not None:
        key = KEY_PREFIX + prompt
        try:
            pipe = client.pipeline()
            pipe.zrangebyscore(key, now, "+inf")
            pipe.zrangebyscore(key, "-inf", now)
            live, expired = pipe.execute()
            pipe = client.pipeline()
            if expired:
                pipe.zrem(key, *expired)
                pipe.hdel(key + ":who", *expired)
            if live:
                pipe.hmget(key + ":who", *live)
            answers = pipe.execute()
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "presence.present")
            client = None
        else:
            redis_client.report_success()
            for raw in answers[-1] if live else []:
                if raw:
                    who = json.loads(raw)
                    people[who["user_id"]] = who["name"]
    if client is None:
        with _lock:
            tabs = _local.get(prompt, {})
            for tab, (expiry, user_id, name) in list(tabs.items()):
                if expiry < now:
                    del tabs[tab]
                else:
                    people[user_id] = name
    return sorted(
        (Present(user_id=u, name=n) for u, n in people.items()), key=lambda p: p.name.lower()
    )
