"""The authorization matrix: every principal × every API operation and every Reflex event
handler that takes an id, against the documented outcome.

The operations come from the app's own OpenAPI document and the handlers from walking every
`rx.State` subclass, so the matrix grows with the code: a route or a handler without an entry
in `API_OUTCOMES` / `HANDLER_OUTCOMES` fails the suite and says to add one.

Principals: nobody (anonymous), the owner of a private project (session token), another
user (outsider), the owner's read-only API key, the owner's revoked API key, a suspended
user's session, and an admin (who has no say over other users' projects). Each operation runs
against a fresh world, so the owner's writes and deletes do not disturb the next principal.
An API outcome is the HTTP status; a handler outcome is what happened to the owner's data:
"changes" (the database changed), "reads" (the owner's secret text reached the state sent to
the browser) or "nothing" (neither). Every non-owner outcome is checked as strictly as the
owner's: for a non-owner "nothing" means not one row anywhere changed and not one secret leaked.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import reflex as rx
from fastapi.testclient import TestClient
from reflex.istate.data import RouterData
from reflex.state import State
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from promptrepo.services import (
    accounts,
    api_keys,
    projects,
    prompts,
    segments,
    sessions,
    validators,
    versions,
)
from tests.api.conftest import bearer, make_caller
from tests.factories import make_user

PRINCIPALS = ("anonymous", "owner", "outsider", "read_key", "revoked_key", "suspended", "admin")
SECRET = "SECRET-" + uuid.uuid4().hex[:12]


def outcome(anonymous, owner, outsider, read_key, revoked_key, suspended, admin) -> dict:
    return dict(zip(PRINCIPALS, (anonymous, owner, outsider, read_key, revoked_key, suspended,
                                 admin), strict=True))


# --------------------------------------------------------------------------- the world
@dataclass
class World:
    ids: dict[str, str]
    headers: dict[str, dict[str, str]]
    tokens: dict[str, str]  # session tokens (what a browser's cookie holds) per principal
    owner_email: str
    extra: dict = field(default_factory=dict)


def build_world(session: Session) -> World:
    owner = make_caller(session, name=f"Owner {SECRET}")
    outsider = make_caller(session, name="Outsider")
    suspended = make_caller(session, name="Suspended")
    admin_user = make_user(session, name="Admin", role="admin")
    admin_token = sessions.create_session(session, admin_user.user_id)
    project = projects.create_project(
        session, owner.principal, name=f"Plans {SECRET}", description=f"about {SECRET}"
    )
    seg = segments.create_segment(session, owner.principal, project.id, name=f"Seg {SECRET}")
    prompt = prompts.create_prompt(
        session, owner.principal, seg.id, name=f"Prompt {SECRET}", content=f"Say {SECRET}"
    )
    validator = validators.add_validator(
        session, owner.principal, prompt.id, type="contains", config={"text": SECRET}
    )
    versions.create_version(session, owner.principal, prompt.id, commit_message="first")
    versions.set_label(session, owner.principal, prompt.id, "production", 1)
    key, revoked_secret = api_keys.create_api_key(
        session, owner.principal, name=f"Key {SECRET}", scope="write"
    )
    api_keys.revoke_api_key(session, owner.principal, key.id)
    listed = api_keys.list_api_keys(session, owner.principal)
    read_key_id = next(k.id for k in listed if k.name == "read")
    session.commit()
    accounts.set_suspended_by_email(session, suspended.principal.email, suspended=True)
    session.commit()
    tokens = {
        "anonymous": "",
        "owner": owner.token,
        "outsider": outsider.token,
        "read_key": owner.read_key,
        "revoked_key": revoked_secret,
        "suspended": suspended.token,
        "admin": admin_token,
    }
    headers = {who: (bearer(t) if t else {}) for who, t in tokens.items()}
    ids = {
        "project_id": str(project.id),
        "segment_id": str(seg.id),
        "prompt_id": str(prompt.id),
        "validator_id": str(validator.id),
        "key_id": str(read_key_id),
        "user_id": str(owner.principal.user_id),
        "number": "1",
        "label": "production",
    }
    return World(ids, headers, tokens, owner.principal.email)


def fingerprint(engine: Engine) -> dict[str, str]:
    """A digest of every table's rows, read as the owner of the tables (sees everything)."""
    digests = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
            blob = json.dumps(sorted(map(repr, rows)))
            digests[table.name] = hashlib.sha256(blob.encode()).hexdigest()
    return digests


# --------------------------------------------------------------------------- API outcomes
# Shorthands for the common rows. The owner's private data: the owner (session or read key)
# reads; other users get 404 ("not found", so private ids do not leak); no credentials or a
# dead one (revoked key, suspended user) get 401. Writes: the read key gets 403.
OWNER_READ = outcome(401, 200, 404, 200, 401, 401, 404)
OWNER_WRITE = outcome(401, 200, 404, 403, 401, 401, 404)
OWNER_CREATE = outcome(401, 201, 404, 403, 401, 401, 404)
OWNER_DELETE = outcome(401, 204, 404, 403, 401, 401, 404)
SELF_READ = outcome(401, 200, 200, 200, 401, 401, 200)  # about the caller themselves
SELF_WRITE = outcome(401, 200, 200, 403, 401, 401, 200)
SELF_CREATE = outcome(401, 201, 201, 403, 401, 401, 201)
PUBLIC = outcome(200, 200, 200, 200, 401, 401, 200)  # anyone; a dead credential is refused

Body = Callable[[World], dict] | None


@dataclass
class Op:
    expected: dict[str, int]
    body: Body = None
    why: str = ""


def _signup(_w: World) -> dict:
    return {"email": f"new-{uuid.uuid4().hex[:8]}@example.com", "password": "Sup3r-secret-pw!",
            "name": "New"}


API_OUTCOMES: dict[tuple[str, str], Op] = {
    ("GET", "/api/health"): Op(outcome(*[200] * 7), why="liveness, for everyone"),
    ("GET", "/api/v1/prompts/{prompt_id}/resolve"): Op(OWNER_READ),
    ("POST", "/api/v1/prompts/{prompt_id}/render"): Op(OWNER_READ, lambda w: {}),
    ("POST", "/api/stripe/webhook"): Op(
        outcome(*[503] * 7), why="no STRIPE_WEBHOOK_SECRET here: refused whoever calls"
    ),
    ("POST", "/api/v1/auth/signup"): Op(outcome(*[201] * 7), _signup, why="open sign-up"),
    ("POST", "/api/v1/auth/token"): Op(
        outcome(*[401] * 7),
        lambda w: {"email": w.owner_email, "password": "not the password"},
        why="a wrong password fails for every caller",
    ),
    ("POST", "/api/v1/auth/logout"): Op(
        outcome(204, 204, 204, 204, 204, 204, 204), why="ends the caller's own session, if any"
    ),
    ("GET", "/api/v1/me"): Op(SELF_READ),
    ("PATCH", "/api/v1/me"): Op(SELF_WRITE, lambda w: {"name": "Renamed"}),
    ("GET", "/api/v1/api-keys"): Op(SELF_READ, why="a read key may list its owner's keys"),
    ("POST", "/api/v1/api-keys"): Op(SELF_CREATE, lambda w: {"name": "k2", "scope": "read"}),
    ("DELETE", "/api/v1/api-keys/{key_id}"): Op(OWNER_DELETE),
    ("GET", "/api/v1/projects"): Op(SELF_READ),
    ("POST", "/api/v1/projects"): Op(SELF_CREATE, lambda w: {"name": "New project"}),
    ("GET", "/api/v1/projects/{project_id}"): Op(OWNER_READ),
    ("PATCH", "/api/v1/projects/{project_id}"): Op(OWNER_WRITE, lambda w: {"name": "Renamed"}),
    ("DELETE", "/api/v1/projects/{project_id}"): Op(OWNER_DELETE),
    ("POST", "/api/v1/projects/{project_id}/fork"): Op(
        outcome(401, 409, 404, 403, 401, 401, 404), why="the owner duplicates instead"
    ),
    ("POST", "/api/v1/projects/{project_id}/render"): Op(OWNER_READ, lambda w: {}),
    ("GET", "/api/v1/projects/{project_id}/segments"): Op(OWNER_READ),
    ("POST", "/api/v1/projects/{project_id}/segments"): Op(OWNER_CREATE, lambda w: {"name": "S2"}),
    ("PATCH", "/api/v1/segments/{segment_id}"): Op(OWNER_WRITE, lambda w: {"name": "S3"}),
    ("DELETE", "/api/v1/segments/{segment_id}"): Op(OWNER_DELETE),
    ("GET", "/api/v1/segments/{segment_id}/prompts"): Op(OWNER_READ),
    ("POST", "/api/v1/segments/{segment_id}/prompts"): Op(
        OWNER_CREATE, lambda w: {"name": "p2", "content": "x"}
    ),
    ("GET", "/api/v1/prompts/{prompt_id}"): Op(OWNER_READ),
    ("PATCH", "/api/v1/prompts/{prompt_id}"): Op(
        OWNER_WRITE, lambda w: {"content": "changed", "base_revision": 1}
    ),
    ("DELETE", "/api/v1/prompts/{prompt_id}"): Op(OWNER_DELETE),
    ("GET", "/api/v1/prompts/{prompt_id}/validators"): Op(OWNER_READ),
    ("POST", "/api/v1/prompts/{prompt_id}/validators"): Op(
        OWNER_CREATE, lambda w: {"type": "contains", "config": {"text": "x"}}
    ),
    ("DELETE", "/api/v1/validators/{validator_id}"): Op(OWNER_DELETE),
    ("GET", "/api/v1/public/projects"): Op(PUBLIC),
    ("GET", "/api/v1/public/projects/{project_id}"): Op(
        outcome(404, 404, 404, 404, 401, 401, 404), why="the project is private"
    ),
    ("GET", "/api/v1/prompts/{prompt_id}/versions"): Op(OWNER_READ),
    ("POST", "/api/v1/prompts/{prompt_id}/versions"): Op(
        OWNER_CREATE, lambda w: {"commit_message": "second"}
    ),
    ("GET", "/api/v1/prompts/{prompt_id}/versions/{number}"): Op(OWNER_READ),
    ("PUT", "/api/v1/prompts/{prompt_id}/labels/{label}"): Op(
        OWNER_WRITE, lambda w: {"version": 1}
    ),
    ("DELETE", "/api/v1/prompts/{prompt_id}/labels/{label}"): Op(OWNER_DELETE),
    ("GET", "/api/v1/prompts/{prompt_id}/labels"): Op(OWNER_READ),
    ("GET", "/api/v1/prompts/{prompt_id}/diff"): Op(OWNER_READ),
}


def openapi_operations() -> list[tuple[str, str]]:
    from promptrepo.api import create_api

    spec = create_api().openapi()
    return [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops]


def test_every_api_operation_has_a_documented_outcome() -> None:
    missing = [op for op in openapi_operations() if op not in API_OUTCOMES]
    assert not missing, (
        f"operations without an entry in API_OUTCOMES ({__name__}): {missing}. Add each with "
        "the status every principal must get."
    )
    stale = [op for op in API_OUTCOMES if op not in set(openapi_operations())]
    assert not stale, f"API_OUTCOMES lists operations that no longer exist: {stale}"


def test_api_matrix(
    api: TestClient, session: Session, use_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from promptrepo.settings import settings

    # The token operation tries wrong passwords from one address; that limit has its own tests.
    monkeypatch.setattr(settings, "login_rate_limit", "100000/hour")
    failures = []
    checked = 0
    for method, path in openapi_operations():
        op = API_OUTCOMES.get((method, path))
        if op is None:
            continue  # reported by the test above
        # One world per operation; the owner goes last, so their own delete or logout does
        # not change what the others meet.
        world = build_world(session)
        for who in sorted(PRINCIPALS, key=lambda w: w == "owner"):
            url = path.format(**world.ids)
            if "diff" in path:
                url += "?from=1&to=1"
            kwargs = {"headers": world.headers[who]}
            if op.body is not None:
                kwargs["json"] = op.body(world)
            elif method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = {}
            response = api.request(method, url, **kwargs)
            checked += 1
            if response.status_code != op.expected[who]:
                failures.append(
                    f"{method} {path} as {who}: {response.status_code}, documented "
                    f"{op.expected[who]} ({response.text[:120]})"
                )
            if who not in ("owner", "read_key") and SECRET in response.text:
                failures.append(f"{method} {path} as {who}: the owner's secret leaked")
    assert checked >= 40 * len(PRINCIPALS)
    assert not failures, "\n".join(failures)
