"""api/security_headers.py around a stand-in ASGI app: which policy each kind of answer gets."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from promptrepo.api.security_headers import (
    NON_DOCUMENT_POLICY,
    SecurityHeadersMiddleware,
    bundled_script_hashes,
    prerendered_script_hashes,
    script_hashes,
)
from promptrepo.settings import settings

PAGE = (
    "<html><head><script>window.a = 1;</script><script type=\"module\" async>import '/x.js';"
    '</script><script src="/assets/app.js"></script></head><body><script></script></body></html>'
)
DOCS = '<html><script src="/api/docs/assets/x.js"></script><script>start()</script></html>'


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_only_inline_scripts_with_content_are_hashed() -> None:
    assert script_hashes(PAGE) == [sha("window.a = 1;"), sha("import '/x.js';")]


def test_the_built_pages_hashes_are_collected_once(tmp_path: Path) -> None:
    (tmp_path / "login").mkdir()
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "login" / "index.html").write_text(PAGE.replace("a = 1", "b = 2"))
    hashes = prerendered_script_hashes(tmp_path)
    assert sorted(hashes) == sorted(
        {sha("window.a = 1;"), sha("window.b = 2;"), sha("import '/x.js';")}
    )


@pytest.fixture
def client(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(settings, "public_url", "http://localhost:3000")
    (tmp_path / "index.html").write_text(PAGE)
    routes = [
        Route("/", lambda r: HTMLResponse(PAGE)),
        Route("/api/v1/thing", lambda r: JSONResponse({"ok": True})),
        Route("/api/v1/broken", lambda r: 1 / 0),
        Route("/cached", lambda r: Response(status_code=304)),
        Route("/api/docs", lambda r: HTMLResponse(DOCS)),
    ]
    app = SecurityHeadersMiddleware(Starlette(routes=routes), static_dir=lambda: tmp_path)
    return TestClient(app, raise_server_exceptions=False)


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


def test_a_page_runs_only_its_own_and_the_hashed_inline_scripts(client) -> None:
    response = client.get("/")
    policy = _directives(response.headers["content-security-policy"])
    assert policy["script-src"] == [
        "'self'",
        "'unsafe-eval'",
        sha("window.a = 1;"),
        sha("import '/x.js';"),
    ]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'", "ws://localhost:3000"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "geolocation=()" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers


def test_api_answers_and_errors_get_the_no_content_policy(client) -> None:
    for path in ("/api/v1/thing", "/api/v1/broken"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == NON_DOCUMENT_POLICY, path
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/v1/broken").status_code == 500


def test_a_304_gets_the_page_policy(client) -> None:
    response = client.get("/cached")
    assert response.status_code == 304
    assert "'unsafe-eval'" in response.headers["content-security-policy"]


def test_the_docs_page_allows_its_own_scripts_and_its_inline_start_up_only(client) -> None:
    response = client.get("/api/docs")
    assert response.text == DOCS
    policy = _directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'", sha("start()")]


def test_https_adds_hsts_and_wss(client, monkeypatch) -> None:
    monkeypatch.setattr(settings, "public_url", "https://prompts.example.com")
    app = SecurityHeadersMiddleware(client.app.app, static_dir=client.app._static_dir)
    response = TestClient(app).get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    policy = _directives(response.headers["content-security-policy"])
    assert policy["connect-src"] == ["'self'", "wss://prompts.example.com"]
    assert "upgrade-insecure-requests" in policy


def test_scripts_react_renders_from_a_bundle_are_hashed_as_the_browser_sees_them() -> None:
    bundle = (
        'f(oa,{defer:!1},f(`script`,{},`\\nif (!window.g) {\\n  window.g = "\\u00e9"\\n}\\n`)),'
        "f(`script`,{id:`x`},`run(${later})`),"
        'c("script",{},"a = `b`;")'
    )
    assert bundled_script_hashes(bundle) == [
        sha('\nif (!window.g) {\n  window.g = "\u00e9"\n}\n'),
        sha("a = `b`;"),
    ]
