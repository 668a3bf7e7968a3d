"""Serving published prompts fast: the cache entries behind `resolve` and `render`.

An entry holds what both routes need for one (prompt, label | version): who may read it (the
project's owner, or everyone when it is public), the ETag, the exact JSON body of `resolve`,
and the version's validators (for `render`). Entries are tagged `project:<id>`, so a publish,
a label move, a rename or a visibility change (`changes.project_changed`, after commit) drops
every entry of the project at once: the next request reads the database again.

A cache hit costs no database query and no thread: `gate.admit` returns the entry in the same
Redis round trip that authenticates the caller and counts the request. A miss on PostgreSQL
is one prepared SELECT from the event loop (api/serving_db.py), then one Redis call to store
the entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy.orm import aliased
from sqlmodel import select

from promptrepo import db
from promptrepo.api import serving_db
from promptrepo.api.schemas import MAX_VERSION
from promptrepo.db import session_scope
from promptrepo.models import PRODUCTION_LABEL, Project, Prompt, Segment, Version, VersionLabel
from promptrepo.services import cache, versions
from promptrepo.services.errors import ServiceError, ValidationFailed
from promptrepo.services.principal import Principal
from promptrepo.settings import settings

_SEP = "\x1f"


@dataclass(frozen=True)
class Served:
    owner_id: str
    is_public: bool
    etag: str
    body: str  # the JSON answer of `resolve`
    validators_json: str

    @cached_property
    def body_bytes(self) -> bytes:
        return self.body.encode()

    @cached_property
    def etag_bytes(self) -> bytes:
        return self.etag.encode()

    def readable_by(self, principal: Principal) -> bool:
        return self.is_public or str(principal.user_id) == self.owner_id

    def encode(self) -> str:
        head = _SEP.join((self.owner_id, "1" if self.is_public else "0", self.etag))
        return f"{head}\n{self.body}\n{self.validators_json}"

    @property
    def resolved(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def validators(self) -> list[dict[str, Any]]:
        return json.loads(self.validators_json)


_parsed: dict[str, Served] = {}


def decode(raw: str) -> Served | None:
    """Parse a cache entry (memoised: the same entry is served many times)."""
    served = _parsed.get(raw)
    if served is not None:
        return served
    try:
        head, body, validators_json = raw.split("\n", 2)
        owner_id, public, etag = head.split(_SEP)
    except ValueError:
        return None
    served = Served(owner_id, public == "1", etag, body, validators_json)
    if len(_parsed) > 2_000:
        _parsed.clear()
    _parsed[raw] = served
    return served


def selector(label: str | None, version: int | None) -> tuple[str | None, int | None]:
    """Check the query: a version number, or a label (default `production`)."""
    if version is not None:
        if label is not None:
            raise ValidationFailed(
                "Ask for a label or a version, not both.",
                errors=[{"loc": ["query", "version"], "msg": "Give either label or version."}],
            )
        return None, version
    label = label if label is not None else PRODUCTION_LABEL
    try:
        versions.check_label_name(label)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, errors=[{"loc": ["query", "label"], "msg": exc.message}]
        ) from None
    return label, None


def entry_key(prompt_id: uuid.UUID, label: str | None, version: int | None) -> str:
    return (
        f"served:{prompt_id}:v:{version}"
        if version is not None
        else f"served:{prompt_id}:l:{label}"
    )


def _published_row_query(by_version: bool):
    """One statement for the serving read: the prompt, its project's owner and visibility,
    the version (by number or by label) and the labels pointing at it."""
    pointing = aliased(VersionLabel)
    labels = (
        select(func.aggregate_strings(pointing.name, ","))
        .where(pointing.version_id == Version.id)
        .correlate(Version)
        .scalar_subquery()
    )
    query = (
        select(
            Prompt.name,
            Project.id,
            Project.user_id,
            Project.is_public,
            Version.version,
            Version.content,
            Version.variables,
            Version.validators,
            labels,
            Version.type,
            Version.messages,
            Version.config,
        )
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .join(Version, Version.prompt_id == Prompt.id)
        .where(Prompt.id == bindparam("prompt_id"))
    )
    if by_version:
        return query.where(Version.version == bindparam("number"))
    return query.join(
        VersionLabel,
        (VersionLabel.version_id == Version.id)
        & (VersionLabel.prompt_id == Prompt.id)
        & (VersionLabel.name == bindparam("label")),
    )


_BY_VERSION = _published_row_query(by_version=True)
_BY_LABEL = _published_row_query(by_version=False)


def read_published(
    session, principal: Principal, prompt_id: uuid.UUID, label: str | None, version: int | None
) -> tuple[versions.ResolvedPrompt, str, bool] | None:
    """The serving read in one query: what `versions.resolve` answers when the caller may read
    the prompt and the label or version exists, plus (owner id, is public). None otherwise:
    the caller then asks `versions.resolve`, the reference, for the precise error.

    tests/api/test_serving.py checks that both agree."""
    statement, params = _published_row_statement(prompt_id, label, version)
    return _found(session.execute(statement, params).first(), principal, prompt_id)


def _published_row_statement(prompt_id: uuid.UUID, label: str | None, version: int | None):
    if version is not None:
        return _BY_VERSION, {"prompt_id": prompt_id, "number": version}
    return _BY_LABEL, {"prompt_id": prompt_id, "label": label}


def _found(
    row, principal: Principal, prompt_id: uuid.UUID
) -> tuple[versions.ResolvedPrompt, str, bool] | None:
    if row is None:
        return None
    (
        name,
        project_id,
        owner_id,
        is_public,
        number,
        content,
        variables,
        validators_,
        labels,
        type_,
        messages,
        config,
    ) = row
    if not (is_public or owner_id == principal.user_id):
        return None
    names = sorted(
        (labels or "").split(",") if labels else [],
        key=lambda n: (n != PRODUCTION_LABEL, n != versions.STAGING_LABEL, n),
    )
    resolved = versions.ResolvedPrompt(
        prompt_id=str(prompt_id),
        name=name,
        version=number,
        labels=names,
        content=content,
        variables=variables or {},
        validators=validators_ or [],
        project_id=str(project_id),
        type=type_ or "text",
        messages=messages or [],
        config=config or {},
    )
    return resolved, str(owner_id), bool(is_public)


_PSYCOPG_SQL: dict[Any, str] = {}


async def read_published_async(
    engine, principal: Principal, prompt_id: uuid.UUID, label: str | None, version: int | None
) -> tuple[versions.ResolvedPrompt, str, bool] | None:
    """`read_published` on PostgreSQL from the event loop (see api/serving_db.py)."""
    statement, params = _published_row_statement(prompt_id, label, version)
    sql = _PSYCOPG_SQL.get(statement)
    if sql is None:
        sql = _PSYCOPG_SQL[statement] = serving_db.compile_for_psycopg(statement, params)
    row = await serving_db.reader_for(engine).fetchone(sql, params)
    return _found(row, principal, prompt_id)


def load(
    principal: Principal, prompt_id: uuid.UUID, label: str | None, version: int | None
) -> tuple[Served, str]:
    """The database path through a session (runs in the thread pool): one query in the common
    case; the service (`versions.resolve`) answers the errors (not found, not yours, no such
    label).

    Returns the entry and its project's id (for the cache tag); the caller stores it.
    """
    with session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            # A read: no BEGIN/COMMIT round trips.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        found = read_published(session, principal, prompt_id, label, version)
        if found is None:
            # raises for every case read_published refuses; if it does not, use its answer
            resolved = versions.resolve(session, principal, prompt_id, label=label, version=version)
            owner_id, is_public = session.exec(
                select(Project.user_id, Project.is_public).where(
                    Project.id == uuid.UUID(resolved.project_id)
                )
            ).one()
            found = resolved, str(owner_id), bool(is_public)
    return _served(*found)


def _served(
    resolved: versions.ResolvedPrompt, owner_id: str, is_public: bool
) -> tuple[Served, str]:
    body = json.dumps(resolved.to_dict(), separators=(",", ":"), ensure_ascii=False)
    served = Served(
        owner_id=owner_id,
        is_public=is_public,
        etag='"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"',
        body=body,
        validators_json=json.dumps(resolved.validators, separators=(",", ":")),
    )
    return served, resolved.project_id


# Misses on SQLite take one of a few database threads in turn. With each concurrent miss in a
# thread of its own, threads and the event loop contend for the GIL and the unluckiest requests
# wait hundreds of ms; a short FIFO queue keeps the tail nearer the median.
_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _database_slots() -> asyncio.Semaphore | contextlib.AbstractAsyncContextManager:
    if settings.api_serving_db_slots <= 0:
        return contextlib.nullcontext()
    loop = asyncio.get_running_loop()
    semaphore = _slots.get(loop)
    if semaphore is None:
        semaphore = _slots[loop] = asyncio.Semaphore(settings.api_serving_db_slots)
    return semaphore


async def load_and_cache(
    principal: Principal,
    prompt_id: uuid.UUID,
    label: str | None,
    version: int | None,
    generation: int | None,
) -> Served:
    """Read from the database and cache the entry, tagged `project:<id>`.

    `generation` is the cache generation the gate read with the miss (before this database
    read): the entry is stored only if nothing was invalidated since, so a publish that
    commits while we read never leaves a stale entry behind.
    """
    from fastapi.concurrency import run_in_threadpool

    from promptrepo.api import gate

    if generation is None:
        generation = await run_in_threadpool(cache.generation)
    engine = db.get_engine()
    found = None
    if engine.dialect.name == "postgresql":
        found = await read_published_async(engine, principal, prompt_id, label, version)
    if found is not None:
        served, project_id = _served(*found)
    else:  # SQLite, or an error to word precisely: the session path
        async with _database_slots():
            served, project_id = await run_in_threadpool(load, principal, prompt_id, label, version)
    await gate.cache_put(
        entry_key(prompt_id, label, version),
        served.encode(),
        tags=[f"project:{project_id}"],
        if_generation=generation,
    )
    return served


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*`, or a list of (possibly weak) tags."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


# --------------------------------------------------------------------------- the fast path
RESOLVE_PREFIX = "/api/v1/prompts/"
RESOLVE_SUFFIX = "/resolve"
ADMISSION_STATE = "gate_admission"


class _RouteLabel:
    """What MetricsMiddleware reads from scope["route"] for requests served here."""

    path = "/api/v1/prompts/{prompt_id}/resolve"


class ResolveFastPath:
    """Serves `GET /api/v1/prompts/{id}/resolve` before FastAPI's routing.

    A hit needs no routing through every API route, no dependency solving and no Response
    object: parse the path, one `gate.admit` (one Redis round trip), send the cached bytes.
    A miss reads the database here too. Anything else (an error, an odd query, missing
    credentials) goes on to the FastAPI route, which reuses the admission already made (so
    the request is counted once) and words the answer.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(RESOLVE_PREFIX)
            and scope["path"].endswith(RESOLVE_SUFFIX)
            and await self._serve_hit(scope, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _serve_hit(self, scope, send) -> bool:
        from promptrepo.api import gate

        raw_id = scope["path"][len(RESOLVE_PREFIX) : -len(RESOLVE_SUFFIX)]
        if len(raw_id) != 36:
            return False
        try:
            prompt_id = uuid.UUID(raw_id)
        except ValueError:
            return False
        label = version = None
        if scope["query_string"]:
            from urllib.parse import parse_qsl

            try:
                params = parse_qsl(scope["query_string"].decode(), strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                return False
            names = [name for name, _ in params]
            if len(set(names)) != len(names) or not set(names) <= {"label", "version"}:
                return False
            query = dict(params)
            label = query.get("label")
            if "version" in query:
                if not query["version"].isdigit() or not 1 <= int(query["version"]) <= MAX_VERSION:
                    return False
                version = int(query["version"])
            if label is not None and len(label) > 36:
                return False
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        token = gate.bearer_token(authorization)
        if token is None:
            return False
        try:
            label, version = selector(label, version)
        except ValidationFailed:
            return False
        state = scope.setdefault("state", {})
        try:
            admission = await gate.admit(token, entry_key(prompt_id, label, version))
        except Exception as exc:  # let the route answer it (401, 429...) without counting twice
            state[ADMISSION_STATE] = exc
            return False
        state[ADMISSION_STATE] = admission
        state["ratelimit"] = admission.limit
        served = decode(admission.entry) if admission.entry else None
        if served is None or not served.readable_by(admission.principal):
            try:
                served = await load_and_cache(
                    admission.principal, prompt_id, label, version, admission.generation
                )
            except ServiceError:  # not found, not yours...: the route words the answer
                return False
        scope["route"] = _RouteLabel
        headers = [
            (b"etag", served.etag_bytes),
            (b"cache-control", b"private, no-cache"),
        ]
        if if_none_match and etag_matches(if_none_match, served.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        body = served.body_bytes
        headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True
