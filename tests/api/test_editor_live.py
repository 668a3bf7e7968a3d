"""The editor's live preview channel (api/editor_live.py): who may open it, what it answers,
and that bad frames get a clear answer without closing it. Through the real app object and
render pool, on both databases and both cache back-ends (`api`)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.websockets import WebSocketDisconnect

from promptrepo.api import editor_live
from promptrepo.services import render_pool, sessions
from promptrepo.services.drafts import MAX_CONTENT_CHARS
from promptrepo.settings import settings
from tests.api.conftest import Caller

VALIDATORS = [
    {"id": "v1", "type": "length", "config": {"max": 40}},
    {"id": "v2", "type": "regex", "config": {"pattern": "Ada"}},
]
SPEC = {
    "customer": {"type": "string", "example": "Ada"},
    "vip": {"type": "boolean", "required": True},
    "age": {"type": "number", "example": 3},
}


def connect(api: TestClient, token: str | None, origin: str | None = None):
    headers = {"origin": origin or settings.allowed_origins[0]}
    if token:
        headers["cookie"] = f"{sessions.SESSION_COOKIE}={token}"
    return api.websocket_connect(editor_live.PATH, headers=headers)


def render(ws, text: str, seq: int = 1, key: str = "k") -> dict:
    ws.send_text(json.dumps({"type": "render", "key": key, "seq": seq, "text": text}))
    return json.loads(ws.receive_text())


def context(ws, **fields) -> None:
    ws.send_text(json.dumps({"type": "context", **fields}))


def test_the_channel_needs_a_signed_in_session(api: TestClient, owner: Caller) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, connect(api, None):
        pass
    assert refused.value.code == 1008
    with pytest.raises(WebSocketDisconnect), connect(api, "not-a-session-token"):
        pass
    # An API key is for programs, not for the page's channel (the cookie is a session).
    with pytest.raises(WebSocketDisconnect), connect(api, owner.read_key[:10] + "x"):
        pass


def test_another_sites_page_cannot_open_it_with_the_users_cookie(
    api: TestClient, owner: Caller
) -> None:
    for origin in ("https://evil.example", "null"):
        with pytest.raises(WebSocketDisconnect) as refused, connect(api, owner.token, origin):
            pass
        assert refused.value.code == 1008


def test_it_answers_each_text_with_the_preview_the_editor_state_would_show(
    api: TestClient, owner: Caller
) -> None:
    with connect(api, owner.token) as ws:
        context(ws, spec=SPEC, validators=VALIDATORS, dialect="jinja2", invalid={})
        answer = render(ws, "Hi {{ customer }}{% if vip %}, VIP{% endif %} ({{ age }})", seq=7)
        assert answer["key"] == "k" and answer["seq"] == 7 and answer["ok"] is True
        assert answer["text"] == "Hi Ada (3)"  # the unset boolean is false, never true
        assert answer["unset"] == ["vip"]
        assert answer["variables"] == ["customer", "vip", "age"]
        assert answer["stats"] == {"chars": 10, "words": 3, "lines": 1, "tokens": 3}
        assert [(r["validator_id"], r["passed"], r["skipped"]) for r in answer["results"]] == [
            ("v1", True, False),
            ("v2", True, False),
        ]
        # A new variable gets a string spec, shown as (unset) until it has an example.
        assert render(ws, "{{ customer }} and {{ friend }}", seq=8)["text"] == "Ada and (unset)"


def test_a_syntax_error_an_invalid_example_and_a_render_error_say_why(
    api: TestClient, owner: Caller
) -> None:
    with connect(api, owner.token) as ws:
        context(ws, spec=SPEC, validators=VALIDATORS, invalid={"age": "not a number"})
        broken = render(ws, "Hi\n{% if customer %}\nno end")
        assert broken["ok"] is False and broken["line"] >= 2
        assert broken["message"].startswith(f"Line {broken['line']}: ")
        assert [r["message"] for r in broken["results"]] == [
            "Not run: the template does not render"
        ] * 2
        assert all(r["skipped"] for r in broken["results"])

        invalid = render(ws, "{{ customer }} is {{ age }}", seq=2)
        assert invalid["ok"] is False
        assert invalid["message"] == "Invalid value — age: not a number"
        assert invalid["results"][0]["message"] == "Not run: a variable's value is invalid"
        # The invalid example does not matter to a text that does not use it.
        assert render(ws, "{{ customer }}", seq=3)["text"] == "Ada"

        failing = render(ws, "{{ 1 // 0 }}", seq=4)
        assert failing["ok"] is False and "division" in failing["message"].lower()


def test_the_trim_dialect_is_rendered_as_the_prompt_stores_it(
    api: TestClient, owner: Caller
) -> None:
    text = "A\n{% if true %}\nB\n{% endif %}\nC"
    with connect(api, owner.token) as ws:
        assert render(ws, text)["text"] == "A\n\nB\n\nC"
        context(ws, dialect="jinja2-trim")
        assert render(ws, text, seq=2)["text"] == "A\nB\nC"


def test_bad_frames_get_a_clear_answer_and_the_channel_stays_open(
    api: TestClient, owner: Caller
) -> None:
    with connect(api, owner.token) as ws:
        ws.send_text("not json")
        assert json.loads(ws.receive_text()) == {"error": "Invalid frame: not JSON."}
        ws.send_text(json.dumps({"type": "delete everything"}))
        assert "context" in json.loads(ws.receive_text())["error"]
        context(ws, dialect="perl")
        assert json.loads(ws.receive_text())["error"].startswith("Invalid frame: dialect: ")
        ws.send_text(json.dumps({"type": "render", "seq": -1, "text": "x"}))
        assert json.loads(ws.receive_text())["error"].startswith("Invalid frame: seq: ")
        too_long = render(ws, "x" * (MAX_CONTENT_CHARS + 1))
        assert too_long["error"].startswith("Invalid frame: text: ")
        context(ws, validators=[{"id": "v", "type": "max_length", "config": {}}] * 51)
        assert "validators" in json.loads(ws.receive_text())["error"]
        assert render(ws, "still {{ here }}", seq=9)["text"] == "still (unset)"


def test_a_template_past_the_render_budget_answers_why_and_the_next_one_renders(
    api: TestClient, owner: Caller
) -> None:
    render_pool.configure(render_pool.PoolConfig(size=1, timeout=0.3))
    try:
        with connect(api, owner.token) as ws:
            slow = "{% for i in range(30000) %}{% if (7**3000)|string %}{% endif %}{% endfor %}ok"
            answer = render(ws, slow)
            assert answer["ok"] is False and "longer than 0.3 s" in answer["message"]
            assert render(ws, "fine", seq=2)["text"] == "fine"
    finally:
        render_pool.configure(None)


def test_a_revoked_session_is_closed_at_its_next_frame(
    api: TestClient, owner: Caller, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(editor_live, "REVALIDATE_SECONDS", 0.0)
    with connect(api, owner.token) as ws:
        assert render(ws, "one")["text"] == "one"
        sessions.revoke_session(session, owner.token)
        session.commit()
        ws.send_text(json.dumps({"type": "render", "seq": 2, "text": "two"}))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 1008


def test_one_account_may_keep_only_so_many_channels_open(
    api: TestClient, owner: Caller, outsider: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(editor_live, "MAX_CHANNELS_PER_ACCOUNT", 2)
    with connect(api, owner.token) as first, connect(api, owner.token):
        with pytest.raises(WebSocketDisconnect) as refused, connect(api, owner.token):
            pass
        assert refused.value.code == 1008
        with connect(api, outsider.token) as other:  # another account is not affected
            assert render(other, "mine")["text"] == "mine"
        assert render(first, "still open")["text"] == "still open"
    with connect(api, owner.token) as again:  # closed ones are given back
        assert render(again, "back")["text"] == "back"
