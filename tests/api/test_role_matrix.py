"""The role matrix (issue 16): an editor and a viewer of the owner's private project × every
API operation and every Reflex event handler that takes an id.

The owner, outsider and admin columns are tests/api/test_authorization_matrix.py's; this
file adds the two member roles, on the same world (`build_world` makes the editor and the
viewer, each with a session and a project key on the owner's project) and the same
operations, found the same way, so a new route or handler without an entry here fails too.
Editors read and change content; viewers read (and run the playground with their own
provider keys); neither manages the project (settings, members, webhooks, deletion).
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promptrepo.services import segments
from promptrepo.settings import settings
from tests.api.conftest import bearer
from tests.api.test_authorization_matrix import (
    API_OUTCOMES,
    CHANGES,
    NOTHING,
    UNCHANGED,
    _principal,
    _run,
    _tab,
    build_world,
    clear,
    fingerprint,
    id_handlers,
    openapi_operations,
)

# The viewer goes first: the editor's deletes would leave the viewer nothing to be refused.
ROLES = ("viewer", "editor")


def roles(editor, viewer) -> dict:
    return {"editor": editor, "viewer": viewer}


READ = roles(200, 200)
EDIT = roles(200, 403)
CREATE = roles(201, 403)
DELETE = roles(204, 403)
MANAGE = roles(403, 403)
SAME = None  # credentials play no part (or only the caller's own account): as the owner

ROLE_API: dict[tuple[str, str], dict | None] = {
    ("GET", "/api/health"): SAME,
    ("GET", "/api/v1/prompts/{prompt_id}/resolve"): READ,
    ("POST", "/api/v1/prompts/{prompt_id}/render"): READ,
    ("POST", "/api/stripe/webhook"): SAME,
    ("POST", "/api/v1/auth/signup"): SAME,
    ("POST", "/api/v1/auth/token"): SAME,
    ("POST", "/api/v1/auth/logout"): SAME,
    ("GET", "/api/v1/me"): SAME,
    ("PATCH", "/api/v1/me"): SAME,
    ("GET", "/api/v1/api-keys"): SAME,
    ("POST", "/api/v1/api-keys"): SAME,
    ("DELETE", "/api/v1/api-keys/{key_id}"): roles(404, 404),  # the owner's key
    ("GET", "/api/v1/projects"): SAME,
    ("POST", "/api/v1/projects"): SAME,
    ("GET", "/api/v1/projects/{project_id}"): READ,
    ("PATCH", "/api/v1/projects/{project_id}"): MANAGE,
    ("DELETE", "/api/v1/projects/{project_id}"): MANAGE,
    ("POST", "/api/v1/projects/{project_id}/fork"): MANAGE,  # private: never copied out
    ("POST", "/api/v1/projects/{project_id}/render"): READ,
    # the team reads the activity log (services/activity.py); the export is the owner's
    # plan's (Enterprise), so on this owner's plan members get 402 like the owner
    ("GET", "/api/v1/projects/{project_id}/activity"): READ,
    ("GET", "/api/v1/projects/{project_id}/activity.csv"): roles(402, 402),
    ("GET", "/api/v1/projects/{project_id}/segments"): READ,
    ("POST", "/api/v1/projects/{project_id}/segments"): CREATE,
    ("PATCH", "/api/v1/segments/{segment_id}"): EDIT,
    ("DELETE", "/api/v1/segments/{segment_id}"): DELETE,
    ("GET", "/api/v1/segments/{segment_id}/prompts"): READ,
    ("POST", "/api/v1/segments/{segment_id}/prompts"): CREATE,
    ("GET", "/api/v1/prompts/{prompt_id}"): READ,
    ("PATCH", "/api/v1/prompts/{prompt_id}"): EDIT,
    ("DELETE", "/api/v1/prompts/{prompt_id}"): DELETE,
    ("GET", "/api/v1/prompts/{prompt_id}/validators"): READ,
    ("POST", "/api/v1/prompts/{prompt_id}/validators"): CREATE,
    ("DELETE", "/api/v1/validators/{validator_id}"): DELETE,
    ("GET", "/api/v1/public/projects"): SAME,
    ("GET", "/api/v1/public/projects/{project_id}"): roles(404, 404),  # private
    ("GET", "/api/v1/prompts/{prompt_id}/versions"): READ,
    ("POST", "/api/v1/prompts/{prompt_id}/versions"): CREATE,
    ("GET", "/api/v1/prompts/{prompt_id}/versions/{number}"): READ,
    ("PUT", "/api/v1/prompts/{prompt_id}/labels/{label}"): EDIT,
    ("DELETE", "/api/v1/prompts/{prompt_id}/labels/{label}"): DELETE,
    ("GET", "/api/v1/prompts/{prompt_id}/labels"): READ,
    ("GET", "/api/v1/prompts/{prompt_id}/diff"): READ,
    ("GET", "/api/v1/prompts/{prompt_id}/labels/{label}/history"): READ,
    # traffic splits: the world has one version, so an editor's split of v1 with itself is
    # refused (422) after the access check; the viewer is refused before
    ("PUT", "/api/v1/prompts/{prompt_id}/labels/{label}/split"): roles(422, 403),
    ("GET", "/api/v1/prompts/{prompt_id}/labels/{label}/split"): READ,
    ("GET", "/api/v1/prompts/{prompt_id}/served"): READ,
    ("GET", "/api/ready"): SAME,
    ("POST", "/api/auth/login"): SAME,
    ("POST", "/api/auth/signup"): SAME,
    ("POST", "/api/auth/logout"): SAME,
    ("GET", "/api/v1/prompts/{prompt_id}/test-cases"): READ,
    ("POST", "/api/v1/prompts/{prompt_id}/test-cases"): CREATE,
    ("PUT", "/api/v1/test-cases/{case_id}"): EDIT,
    ("DELETE", "/api/v1/test-cases/{case_id}"): DELETE,
    ("GET", "/api/v1/prompts/{prompt_id}/test-runs"): READ,
    ("POST", "/api/v1/prompts/{prompt_id}/test-runs"): CREATE,
    # webhooks are the owner's (their secrets and payloads); an endpoint or a delivery by id
    # is "not found" to members, as row-level security hides it on PostgreSQL
    ("POST", "/api/v1/projects/{project_id}/webhooks"): MANAGE,
    ("GET", "/api/v1/projects/{project_id}/webhooks"): MANAGE,
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): roles(404, 404),
    ("GET", "/api/v1/projects/{project_id}/webhook-deliveries"): MANAGE,
    ("POST", "/api/v1/webhook-deliveries/{delivery_id}/redeliver"): roles(404, 404),
    # the team
    ("GET", "/api/v1/projects/{project_id}/members"): READ,
    ("POST", "/api/v1/projects/{project_id}/invites"): MANAGE,
    ("DELETE", "/api/v1/project-invites/{invite_id}"): roles(404, 404),
    ("PATCH", "/api/v1/projects/{project_id}/members/{member_id}"): MANAGE,
    ("DELETE", "/api/v1/projects/{project_id}/members/{member_id}"): MANAGE,
    ("POST", "/api/v1/projects/{project_id}/leave"): roles(204, 204),
    ("POST", "/api/v1/projects/{project_id}/transfer"): MANAGE,
    ("GET", "/api/v1/invites/{token}"): roles(403, 403),  # addressed to someone else
    ("POST", "/api/v1/invites/{token}/accept"): roles(403, 403),
    ("POST", "/api/v1/invites/{token}/decline"): roles(403, 403),
    # comments: any member writes; the owner's comment is the owner's to edit or delete;
    # editors resolve any thread
    ("GET", "/api/v1/prompts/{prompt_id}/comments"): READ,
    ("POST", "/api/v1/prompts/{prompt_id}/comments"): roles(201, 201),
    ("GET", "/api/v1/comments/{comment_id}"): READ,
    ("PATCH", "/api/v1/comments/{comment_id}"): MANAGE,
    ("DELETE", "/api/v1/comments/{comment_id}"): MANAGE,
    ("POST", "/api/v1/comments/{comment_id}/resolve"): EDIT,
    ("GET", "/api/v1/me/mentions"): SAME,
    ("POST", "/api/v1/me/mentions/read"): SAME,
    # reviewed releases: the world's open proposal is the owner's; an editor decides it
    ("GET", "/api/v1/prompts/{prompt_id}/proposals"): READ,
    ("POST", "/api/v1/prompts/{prompt_id}/proposals"): roles(422, 403),  # review is off
    ("POST", "/api/v1/prompts/{prompt_id}/proposals/{proposal_id}/approve"): EDIT,
    ("POST", "/api/v1/prompts/{prompt_id}/proposals/{proposal_id}/reject"): EDIT,
    ("POST", "/api/v1/prompts/{prompt_id}/proposals/{proposal_id}/withdraw"): MANAGE,
    ("GET", "/api/v1/notifications"): SAME,
    ("POST", "/api/v1/notifications/read"): SAME,
    # the Langfuse-compatible API with each member's project key on the owner's project
    ("GET", "/api/public/projects"): READ,
    ("GET", "/api/public/v2/prompts"): READ,
    ("POST", "/api/public/v2/prompts"): EDIT,
    ("PATCH", "/api/public/v2/prompts/{name}/versions/{version}"): EDIT,
    ("GET", "/api/public/v2/prompts/{name}"): READ,
    ("DELETE", "/api/public/v2/prompts/{name}"): DELETE,
}


def test_every_api_operation_has_a_role_outcome() -> None:
    operations = openapi_operations()
    missing = [op for op in operations if op not in ROLE_API]
    assert not missing, f"operations without an entry in ROLE_API ({__name__}): {missing}"
    stale = [op for op in ROLE_API if op not in set(operations)]
    assert not stale, f"ROLE_API lists operations that no longer exist: {stale}"


def test_role_api_matrix(
    api: TestClient,
    session: Session,
    use_engine: Engine,
    kv_backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if (use_engine.dialect.name == "postgresql") != (kv_backend == "redis"):
        pytest.skip("the matrix runs on the two deployed pairings: SQLite + memory, PG + Redis")
    monkeypatch.setattr(settings, "login_rate_limit", "100000/hour")
    monkeypatch.setattr(settings, "webhook_allow_private", True)
    failures = []
    checked = 0
    for method, path in openapi_operations():
        expected = ROLE_API.get((method, path))
        op = API_OUTCOMES.get((method, path))
        if expected is None or op is None:
            continue  # SAME: nothing about the project; missing: reported above
        clear(use_engine)
        world = build_world(session)
        for role in ROLES:
            url = path.format(**world.ids)
            if "diff" in path:
                url += "?from=1&to=1"
            if op.basic:
                headers = world.extra["basic"][role]
            else:
                headers = bearer(world.extra["tokens"][role])
            kwargs = {"headers": headers}
            if op.body is not None:
                kwargs["json"] = op.body(world)
            elif method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = {}
            response = api.request(method, url, **kwargs)
            checked += 1
            if response.status_code != expected[role]:
                failures.append(
                    f"{method} {path} as {role}: {response.status_code}, documented "
                    f"{expected[role]} ({response.text[:160]})"
                )
    assert checked >= 50 * len(ROLES)
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- Reflex handlers
# What a member's forged call of each handler does to the owner's data: CHANGES, or NOTHING /
# UNCHANGED (no row changed; members may see the project's text, so no leak check here).
EDITS = roles(CHANGES, UNCHANGED)
OWNER_ONLY = roles(UNCHANGED, UNCHANGED)
ROLE_HANDLERS: dict[str, dict | None] = {
    "watch": None,  # not called (see the authorization matrix)
    "ask_revoke": OWNER_ONLY,  # the owner's key: not theirs
    "upgrade": None,  # a plan name, about the caller alone
    "open_edit": OWNER_ONLY,
    "open_delete": OWNER_ONLY,
    "toggle_public": OWNER_ONLY,
    "duplicate": roles(UNCHANGED, UNCHANGED),  # copies are the owner's to make
    "fork": OWNER_ONLY,  # private
    # the owner's proposal: an editor approves it (the label moves), a viewer cannot
    "open_review": roles(CHANGES, UNCHANGED),
    "open_notification": OWNER_ONLY,  # the owner's own notification
}


def test_every_handler_taking_an_id_has_a_role_outcome() -> None:
    from tests.api.test_authorization_matrix import HANDLER_OUTCOMES

    names = {name for _, name in id_handlers()}
    missing = sorted(names - set(ROLE_HANDLERS) - _derived(HANDLER_OUTCOMES))
    assert not missing, f"handlers without an entry in ROLE_HANDLERS ({__name__}): {missing}"


def _derived(handler_outcomes) -> set[str]:
    """Handlers whose role outcome follows from the owner's: a content change (the owner's
    outcome CHANGES) is an editor's too and not a viewer's, unless listed otherwise."""
    return {name for name, h in handler_outcomes.items() if h.expected is not None}


def role_outcome(name: str, owner_outcome: dict | None) -> dict | None:
    if name in ROLE_HANDLERS:
        return ROLE_HANDLERS[name]
    if owner_outcome is None:
        return None
    if owner_outcome["owner"] == CHANGES:
        return MANAGED_HANDLERS.get(name, EDITS)
    return roles(UNCHANGED, UNCHANGED)


# Handlers that change owner-only things (settings, webhooks, team, keys, connections).
MANAGED_HANDLERS = {
    "remove_connection": OWNER_ONLY,  # the owner's provider connection
    "delete_webhook": OWNER_ONLY,
    "redeliver": OWNER_ONLY,
    "ask": OWNER_ONLY,  # admin only
    "rerun": OWNER_ONLY,  # the owner's run: members see and re-run only their own
    "delete_case": EDITS,
    # the team is the owner's to manage
    "set_member_role": OWNER_ONLY,
    "withdraw_invite": OWNER_ONLY,
    "ask_remove_member": OWNER_ONLY,
    "ask_transfer": OWNER_ONLY,
    # the owner's comment: only its author deletes it (editors resolve: the derived EDITS)
    "ask_delete_comment": OWNER_ONLY,
}


def test_role_handler_matrix(
    session: Session, use_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.api.test_authorization_matrix import HANDLER_OUTCOMES

    monkeypatch.setattr(settings, "webhook_allow_private", True)
    failures = []
    checked = 0
    for state_cls, name in id_handlers():
        entry = HANDLER_OUTCOMES.get(name)
        expected = role_outcome(name, entry.expected if entry else None)
        if entry is None or expected is None:
            continue
        clear(use_engine)
        world = build_world(session)
        second = segments.create_segment(
            session, _principal(session, world), world.ids["project_id"], name="Second"
        )
        session.commit()
        ids = {**world.ids, "segment2_id": str(second.id), "email": world.owner_email}
        for role in ROLES:
            before = fingerprint(use_engine)
            page = entry.page.format(**ids)
            params = {k: ids[k] for k in ("project_id", "prompt_id") if "{" + k + "}" in entry.page}
            root, state = _tab(state_cls, world.extra["tokens"][role], page, params)
            for load in entry.load:
                _run(state_cls, state, load)
            _run(
                state_cls,
                state,
                name,
                [a.format(**ids) if isinstance(a, str) else a for a in entry.args],
            )
            if name == "drag_start":
                _run(state_cls, state, "drop_on_segment", [ids["segment2_id"]])
            for follow_up in entry.then:
                _run(state_cls, state, follow_up)
            changed = fingerprint(use_engine) != before
            got = CHANGES if changed else UNCHANGED
            json.dumps(root.dict(), default=str)  # the state serialises (as Reflex sends it)
            checked += 1
            want = expected[role]
            if want == NOTHING:
                want = UNCHANGED
            if got != want:
                failures.append(f"{state_cls.__name__}.{name} as {role}: {got}, documented {want}")
    assert checked >= 15 * len(ROLES)
    assert not failures, "\n".join(failures)
