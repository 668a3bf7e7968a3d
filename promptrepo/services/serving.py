"""Serving published prompts: the one path behind REST `resolve`/`render`, the Langfuse-compatible
prompt API and MCP.

What is served is a cache entry (`Served`) for one request: a prompt (by id, or by
`segment/prompt` name within a project) at a label, a version number, or the newest version
(`latest`). It holds who may read it (`access.may_read`: the project's owner and members, everyone when
it is public, and a project-scoped key only its project), the ETag, the exact JSON body of
`resolve`, the Langfuse body, and what `render` needs. Entries are tagged `project:<id>`, so a
publish, a label move, a rename or a visibility change (`changes.project_changed`, after commit)
drops every entry of the project at once.

`serve()` is the path every protocol takes once its caller is admitted (api/gate.py fetched the
cached entry in the same Redis round trip): a hit costs nothing more; a miss is one SELECT
(prepared and batched on the event loop on PostgreSQL, services/serving_db.py; in one of a few
threads on SQLite), stored only if no invalidation ran since the miss (cache generations), so a
publish that commits mid-read never leaves a stale entry. When the SELECT finds nothing, the
session path (`versions.resolve`, the reference) words the precise error.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import re
import uuid
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import anyio
from sqlalchemy import String, bindparam, cast, func, literal_column, null
from sqlalchemy.orm import aliased
from sqlmodel import select

from promptrepo import db
from promptrepo.models import (
    PRODUCTION_LABEL,
    LabelSplit,
    Project,
    ProjectMember,
    Prompt,
    Segment,
    Version,
    VersionLabel,
)
from promptrepo.services import access, cache, served_counts, serving_db, splits, versions
from promptrepo.services.errors import NotFound, PermissionDenied, ValidationFailed
from promptrepo.services.principal import Principal
from promptrepo.settings import settings

MAX_VERSION = 1_000_000_000  # as api/schemas.MAX_VERSION
LATEST = "latest"  # the newest version (Langfuse's virtual label); not a stored label
DEFAULT_SEGMENT = "prompts"  # where a Langfuse name without '/' lives
_SEP = "\x1f"
_SPLIT = "\x1e"  # a split entry: _SPLIT label (_SPLIT weight _ARM arm-entry)…
_ARM = "\x1d"  # (JSON escapes every control character, so neither occurs in an entry)


# --------------------------------------------------------------------------- what is asked
@dataclass(frozen=True, slots=True)
class Wanted:
    """One serving request: a prompt by id, or by name in a project; a label, a version, or
    the newest version (`latest=True`)."""

    prompt_id: uuid.UUID | None = None
    label: str | None = None
    version: int | None = None
    latest: bool = False
    name: str | None = None  # "segment/prompt", in the project of the API key `public_key`
    public_key: str | None = None
    project_id: uuid.UUID | None = None  # the key's project, known once the caller is admitted

    @property
    def key(self) -> str:
        """The cache key (one per request shape; all tagged with the project). A name is looked
        up in the key's project, which is known only after admission: the key names the key."""
        if self.prompt_id is not None:
            head = f"served:{self.prompt_id}"
        elif self.public_key is not None:
            head = f"served:n:{self.public_key}:{self.name}"
        else:
            head = f"served:n:p:{self.project_id}:{self.name}"
        if self.version is not None:
            return f"{head}:v:{self.version}"
        if self.latest:
            return f"{head}:latest"
        return f"{head}:l:{self.label}"


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


def by_id(prompt_id: uuid.UUID, label: str | None, version: int | None) -> Wanted:
    label, version = selector(label, version)
    return Wanted(prompt_id=prompt_id, label=label, version=version)


def split_name(name: str) -> tuple[str, str]:
    """`segment/prompt` → (segment, prompt); a name without '/' lives in `prompts`."""
    segment, slash, prompt = name.partition("/")
    if not slash:
        return DEFAULT_SEGMENT, name
    return segment, prompt


def by_name(public_key: str, name: str, label: str | None, version: int | None) -> Wanted:
    """A prompt by its `segment/prompt` name in the project of the API key `public_key`;
    `label="latest"` is the newest version."""
    segment, prompt = split_name(name)
    if not segment.strip() or not prompt.strip() or len(name) > 201:
        raise NotFound(f"Prompt '{name}' not found.")
    name = f"{segment}/{prompt}"
    if label == LATEST and version is None:
        return Wanted(name=name, public_key=public_key, latest=True)
    label, version = selector(label, version)
    return Wanted(name=name, public_key=public_key, label=label, version=version)


def in_scope(principal: Principal | None, wanted: Wanted) -> Wanted:
    """`wanted` with the project a name is looked up in: the API key's."""
    if wanted.prompt_id is not None or wanted.project_id is not None:
        return wanted
    project_id = principal.api_key_project_id if principal is not None else None
    if project_id is None:
        raise PermissionDenied(
            "Prompts are looked up by name in the API key's project: use a project API key "
            "(create one in Settings → API keys)."
        )
    return dataclasses.replace(wanted, project_id=project_id)


# --------------------------------------------------------------------------- the entry
@dataclass(frozen=True)
class Served:
    owner_id: str
    is_public: bool
    project_id: str
    etag: str
    body: str  # the JSON answer of `resolve`
    validators_json: str
    langfuse_body: str  # the JSON answer of Langfuse's GET /api/public/v2/prompts/{name}
    # The project's members (user ids), who read it like its owner; a change of members
    # invalidates the project's entries like any other change.
    member_ids: frozenset[str] = frozenset()
    prompt_id: str = ""
    version: int = 0
    # A label split over several versions (services/splits.py): every arm's entry and weight,
    # so each request picks one without a database query. Empty for one version.
    split_label: str = ""
    arms: tuple[tuple[int, Served], ...] = ()

    @cached_property
    def version_bytes(self) -> bytes:
        return str(self.version).encode()

    @cached_property
    def _weights(self) -> tuple[int, ...]:
        return tuple(weight for weight, _ in self.arms)

    def pick(self, key: str | None) -> Served:
        """The version this request gets: itself, or for a split the arm `key` falls in (a
        random one without a key)."""
        if not self.arms:
            return self
        point = splits.point_for(self.prompt_id, self.split_label, key)
        return self.arms[splits.pick(self._weights, point)][1]

    @cached_property
    def body_bytes(self) -> bytes:
        return self.body.encode()

    @cached_property
    def etag_bytes(self) -> bytes:
        return self.etag.encode()

    @cached_property
    def langfuse_bytes(self) -> bytes:
        return self.langfuse_body.encode()

    def readable_by(self, principal: Principal | None) -> bool:
        return access.may_read(
            principal, self.owner_id, self.is_public, self.project_id, self.member_ids
        )

    def encode(self) -> str:
        if self.arms:
            return (
                _SPLIT
                + self.split_label
                + "".join(f"{_SPLIT}{weight}{_ARM}{arm.encode()}" for weight, arm in self.arms)
            )
        head = _SEP.join(
            (
                self.owner_id,
                "1" if self.is_public else "0",
                self.project_id,
                self.etag,
                self.prompt_id,
                str(self.version),
                ",".join(sorted(self.member_ids)),
            )
        )
        return f"{head}\n{self.body}\n{self.validators_json}\n{self.langfuse_body}"

    @cached_property
    def resolved(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def validators(self) -> list[dict[str, Any]]:
        return json.loads(self.validators_json)

    @cached_property
    def langfuse(self) -> dict[str, Any]:
        return json.loads(self.langfuse_body)


_parsed: dict[str, Served] = {}


def decode(raw: str) -> Served | None:
    """Parse a cache entry (memoised: the same entry is served many times)."""
    served = _parsed.get(raw)
    if served is not None:
        return served
    served = _decode_split(raw) if raw.startswith(_SPLIT) else _decode_one(raw)
    if served is None:
        return None
    if len(_parsed) > 2_000:
        _parsed.clear()
    _parsed[raw] = served
    return served


def _decode_one(raw: str) -> Served | None:
    try:
        head, body, validators_json, langfuse_body = raw.split("\n", 3)
        owner_id, public, project_id, etag, prompt_id, version, members = head.split(_SEP)
        number = int(version)
    except ValueError:
        return None  # an entry of an older format: read again
    return Served(
        owner_id,
        public == "1",
        project_id,
        etag,
        body,
        validators_json,
        langfuse_body,
        member_ids=frozenset(members.split(",")) if members else frozenset(),
        prompt_id=prompt_id,
        version=number,
    )


def _decode_split(raw: str) -> Served | None:
    label, *parts = raw[1:].split(_SPLIT)
    arms = []
    for part in parts:
        weight, _, encoded = part.partition(_ARM)
        arm = _decode_one(encoded)
        if arm is None or not weight.isdigit():
            return None
        arms.append((int(weight), arm))
    if not arms:
        return None
    return dataclasses.replace(arms[0][1], split_label=label, arms=tuple(arms))


@dataclass(frozen=True)
class Found:
    """What the serving read returns: the resolved version and where it lives."""

    resolved: versions.ResolvedPrompt
    owner_id: str
    is_public: bool
    segment: str
    commit_message: str
    split: str = ""  # the label's traffic split as `version:weight,…` (services/splits.py)
    member_ids: frozenset[str] = frozenset()
    tags: tuple[str, ...] = ()


def served_entry(found: Found, split_label: str = "") -> Served:
    """The cache entry of one version; `split_label`: an arm of that label's split (its
    answers say `"split": true` and carry the label)."""
    resolved = found.resolved
    if split_label and split_label not in resolved.labels:
        resolved = dataclasses.replace(resolved, labels=sorted([*resolved.labels, split_label]))
    answer = resolved.to_dict()
    if split_label:
        answer["split"] = True
    body = _json(answer)
    is_chat = resolved.type == "chat"
    sources = (
        [m.get("content", "") for m in resolved.messages if "role" in m]
        if is_chat
        else [resolved.content]
    )
    flagged = any(uses_template_logic(source) for source in sources)
    langfuse = {
        "type": resolved.type,
        "name": f"{found.segment}/{resolved.name}",
        "version": resolved.version,
        # a chat prompt: its messages and placeholders, in the shape Langfuse's SDK parses
        "prompt": resolved.messages if is_chat else resolved.content,
        "config": resolved.config,
        "labels": resolved.labels,
        "tags": list(found.tags),
        "commitMessage": found.commit_message or None,
        # Our additions (the SDK ignores them): the template needs our `render` when it uses
        # Jinja logic, which the SDK's compile() (it only substitutes {{ var }}) leaves as is.
        "id": resolved.prompt_id,
        "projectId": resolved.project_id,
        "usesTemplateLogic": flagged,
        "variables": resolved.variables,
    }
    if split_label:
        langfuse["split"] = True
    return Served(
        owner_id=found.owner_id,
        is_public=found.is_public,
        project_id=resolved.project_id,
        etag='"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"',
        body=body,
        validators_json=_json(resolved.validators),
        langfuse_body=_json(langfuse),
        prompt_id=resolved.prompt_id,
        version=resolved.version or 0,
        member_ids=found.member_ids,
    )


_PLAIN_VARIABLE = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")


def uses_template_logic(content: str) -> bool:
    """True when the template needs more than `{{ name }}` substitution (tags, comments,
    filters, expressions): what the Langfuse SDK's compile() cannot do."""
    rest = _PLAIN_VARIABLE.sub("", content)
    return "{{" in rest or "{%" in rest or "{#" in rest


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------- the one SELECT
def _published_row_query(*, by_name: bool, pick: str):
    """One statement for the serving read: the prompt, its project's owner and visibility, its
    segment, the version (by number, by label, or the newest) and the labels pointing at it."""
    pointing = aliased(VersionLabel)
    labels = (
        select(func.aggregate_strings(pointing.name, ","))
        .where(pointing.version_id == Version.id)
        .correlate(Version)
        .scalar_subquery()
    )
    members = (
        select(func.aggregate_strings(cast(ProjectMember.user_id, String), ","))
        .where(ProjectMember.project_id == Project.id)
        .correlate(Project)
        .scalar_subquery()
    )
    if pick == "label":
        arm_version = aliased(Version)
        split = (
            select(
                func.aggregate_strings(
                    cast(arm_version.version, String)
                    + literal_column("':'")
                    + cast(LabelSplit.weight, String),
                    ",",
                )
            )
            .select_from(LabelSplit)
            .join(arm_version, arm_version.id == LabelSplit.version_id)
            .where(LabelSplit.prompt_id == Prompt.id, LabelSplit.label == bindparam("label"))
            .correlate(Prompt)
            .scalar_subquery()
        )
    else:
        split = null()
    query = (
        select(
            Prompt.id,
            Prompt.name,
            Project.id,
            Project.user_id,
            Project.is_public,
            Segment.name,
            Version.version,
            Version.content,
            Version.variables,
            Version.validators,
            Version.commit_message,
            labels,
            Version.template_dialect,
            Version.type,
            Version.messages,
            Version.config,
            split,
            members,
            Prompt.tags,
        )
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .join(Version, Version.prompt_id == Prompt.id)
    )
    if by_name:
        # Names are not unique: the first in the project's order answers (as on its page).
        query = query.where(
            Project.id == bindparam("project_id"),
            Segment.name == bindparam("segment"),
            Prompt.name == bindparam("prompt"),
        ).order_by(Segment.order, Prompt.order)
    else:
        query = query.where(Prompt.id == bindparam("prompt_id"))
    if pick == "version":
        query = query.where(Version.version == bindparam("number"))
    elif pick == "latest":
        newest = aliased(Version)
        query = query.where(
            Version.version
            == select(func.max(newest.version))
            .where(newest.prompt_id == Prompt.id)
            .correlate(Prompt)
            .scalar_subquery()
        )
    else:
        query = query.join(
            VersionLabel,
            (VersionLabel.version_id == Version.id)
            & (VersionLabel.prompt_id == Prompt.id)
            & (VersionLabel.name == bindparam("label")),
        )
    return query.limit(bindparam("row_limit")) if by_name else query


_STATEMENTS = {
    (by_name, pick): _published_row_query(by_name=by_name, pick=pick)
    for by_name in (False, True)
    for pick in ("version", "label", "latest")
}


def _statement(wanted: Wanted):
    params: dict[str, Any] = {}
    if wanted.prompt_id is not None:
        params["prompt_id"] = wanted.prompt_id
    else:
        params["project_id"] = wanted.project_id
        params["segment"], params["prompt"] = split_name(wanted.name or "")
        params["row_limit"] = 1
    if wanted.version is not None:
        pick = "version"
        params["number"] = wanted.version
    elif wanted.latest:
        pick = "latest"
    else:
        pick = "label"
        params["label"] = wanted.label
    return _STATEMENTS[(wanted.prompt_id is None, pick)], params


def _found(row, principal: Principal | None) -> Found | None:
    if row is None:
        return None
    (
        prompt_id,
        name,
        project_id,
        owner_id,
        is_public,
        segment,
        number,
        content,
        variables,
        validators_,
        commit_message,
        labels,
        dialect,
        type_,
        messages,
        config,
        split,
        members,
        prompt_tags,
    ) = row
    member_ids = (
        frozenset(str(uuid.UUID(m)) for m in members.split(",")) if members else frozenset()
    )
    if not access.may_read(principal, owner_id, is_public, project_id, member_ids):
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
        template_dialect=dialect,
        type=type_ or "text",
        messages=messages or [],
        config=config or {},
    )
    return Found(
        resolved,
        str(owner_id),
        bool(is_public),
        segment,
        commit_message or "",
        split or "",
        member_ids,
        tuple(_tag_list(prompt_tags)),
    )


def _tag_list(value: Any) -> list[str]:
    # psycopg's raw pipelined read (serving_db) hands back jsonb already parsed; a text
    # value would be JSON.
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])


def read_published(session, principal: Principal | None, wanted: Wanted) -> Found | None:
    """The serving read in one query: what `versions.resolve` answers when the caller may read
    the prompt and the label or version exists. None otherwise: `load` then asks
    `versions.resolve`, the reference, for the precise error.

    tests/api/test_serving.py checks that both agree."""
    statement, params = _statement(wanted)
    return _found(session.execute(statement, params).first(), principal)


_PSYCOPG_SQL: dict[Any, str] = {}


async def read_published_async(engine, principal: Principal | None, wanted: Wanted) -> Found | None:
    """`read_published` on PostgreSQL from the event loop (see services/serving_db.py)."""
    statement, params = _statement(wanted)
    sql = _PSYCOPG_SQL.get(statement)
    if sql is None:
        sql = _PSYCOPG_SQL[statement] = serving_db.compile_for_psycopg(statement, params)
    row = await serving_db.reader_for(engine).fetchone(sql, params)
    return _found(row, principal)


def load(principal: Principal | None, wanted: Wanted) -> Found:
    """The database path through a session (in a thread): one query in the common case; the
    reference (`versions.resolve`) words the errors (not found, not yours, no such label)."""
    with db.system_scope("serving") as session:  # the access rule is applied in the query
        if session.get_bind().dialect.name == "postgresql":
            # A read: no BEGIN/COMMIT round trips.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        found = read_published(session, principal, wanted)
        if found is not None:
            return found
        prompt_id = wanted.prompt_id or _prompt_id_by_name(session, principal, wanted)
        if wanted.latest:
            prompt, _ = access.get_prompt(session, principal, prompt_id)
            raise NotFound(f"Prompt '{wanted.name or prompt.name}' has no version yet.")
        # raises for every case read_published refuses; if it does not, use its answer
        resolved = versions.resolve(
            session, principal, prompt_id, label=wanted.label, version=wanted.version
        )
        found = read_published(
            session, principal, Wanted(uuid.UUID(resolved.prompt_id), wanted.label, wanted.version)
        )
        if found is None:  # changed between the two reads
            raise NotFound("Prompt not found.")
        return found


def _prompt_id_by_name(session, principal: Principal | None, wanted: Wanted) -> uuid.UUID:
    segment, prompt = split_name(wanted.name or "")
    row = session.exec(
        select(Prompt.id, Project)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(Project.id == wanted.project_id, Segment.name == segment, Prompt.name == prompt)
        .order_by(Segment.order, Prompt.order)
    ).first()
    if row is None:
        raise NotFound(f"Prompt '{wanted.name}' not found.")
    access.get_project(session, principal, row[1].id)  # not readable: not found
    return row[0]


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
    principal: Principal | None, wanted: Wanted, generation: int | None
) -> Served:
    """Read from the database and cache the entry, tagged `project:<id>`.

    `generation` is the cache generation read with the miss (before this database read): the
    entry is stored only if nothing was invalidated since, so a publish that commits while we
    read never leaves a stale entry behind.
    """
    if generation is None:
        generation = await cache.generation_async()
    found = await _read(principal, wanted)
    if found.split:  # a split label: every arm in the one entry (one more read per arm)
        arms = []
        for arm in splits.parse_stored(found.split):
            if arm.version == found.resolved.version:
                arm_found = found
            else:
                arm_wanted = Wanted(
                    prompt_id=uuid.UUID(found.resolved.prompt_id), version=arm.version
                )
                arm_found = await _read(principal, arm_wanted)
            arms.append((arm.weight, served_entry(arm_found, wanted.label or "")))
        served = dataclasses.replace(arms[0][1], split_label=wanted.label or "", arms=tuple(arms))
    else:
        served = served_entry(found)
    await cache.put_async(
        wanted.key, served.encode(), tags=[f"project:{served.project_id}"], if_generation=generation
    )
    return served


async def _read(principal: Principal | None, wanted: Wanted) -> Found:
    engine = db.get_system_engine()  # a named system path: see db.SYSTEM_PATHS
    found = None
    if engine.dialect.name == "postgresql":
        found = await read_published_async(engine, principal, wanted)
    if found is None:  # SQLite, or an error to word precisely: the session path
        async with _database_slots():
            found = await anyio.to_thread.run_sync(load, principal, wanted)
    return found


async def serve(
    principal: Principal | None,
    wanted: Wanted,
    entry: str | None,
    generation: int | None,
    key: str | None = None,
) -> Served:
    """The version `wanted` gets: the cached entry (`entry`, fetched by the caller's admission)
    when the principal may read it, else read and cached; for a split label, the arm `key`
    picks (services/splits.py). Counted per version (services/served_counts.py). Raises
    NotFound & co. otherwise."""
    served = decode(entry) if entry else None
    if served is None or not served.readable_by(principal):
        served = await load_and_cache(principal, in_scope(principal, wanted), generation)
    served = served.pick(key)
    served_counts.record(served.prompt_id, served.version)
    return served


async def fetch(principal: Principal | None, wanted: Wanted, key: str | None = None) -> Served:
    """`serve` for callers admitted without the entry (MCP): one cache read, then serve."""

    def read() -> tuple[str | None, int]:
        generation = cache.generation()
        return cache.get(wanted.key), generation

    if settings.redis_url:
        entry, generation = await anyio.to_thread.run_sync(read)
    else:
        entry, generation = read()
    return await serve(principal, wanted, entry, None if entry else generation, key)


# --------------------------------------------------------------------------- using it
async def render(
    served: Served, values: dict[str, Any], placeholders: dict[str, Any] | None = None
) -> versions.RenderResult:
    """Render the served version with `values` (a chat prompt: with `placeholders` filled) and
    run its validators, in a render worker (the event loop never waits on template code); a
    missing or mistyped variable raises ValidationFailed naming it."""
    resolved = served.resolved
    kind = resolved.get("type", "text")  # entries cached before chat prompts lack it
    body = await versions.render_body_async(
        kind,
        resolved.get("content", ""),
        resolved.get("messages"),
        resolved["variables"],
        served.validators,
        values or {},
        placeholders,
        # entries cached before dialects existed lack it: they are all "jinja2"
        resolved.get("template_dialect", "jinja2"),
    )
    return versions.RenderResult(
        split=bool(resolved.get("split")),
        text=body.text,
        version=resolved["version"],
        validators=body.validators,
        type=kind,
        messages=body.messages,
        config=resolved.get("config", {}),
    )


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
