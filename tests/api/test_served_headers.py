"""Security headers on every kind of response of the served app (pages, assets, API, errors).

Through the real built app (tests/app_server.py): the headers come from the outermost
middleware of the app's `api_transformer` chain, which `create_api()` alone does not have.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from promptrepo.api.security_headers import script_hashes


@pytest.fixture(scope="module")
def http(app_server):
    with httpx.Client(base_url=app_server.url, timeout=30) as client:
        yield client


def _asset_path(http: httpx.Client) -> str:
    # The landing page names its modules in its deferred bootstrap (promptrepo/prerender.py).
    found = re.search(r'"(/assets/[^"]+\.js)"', http.get("/").text)
    assert found
    return found.group(1)


def _assert_common(response: httpx.Response) -> None:
    h = response.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in h["permissions-policy"]
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "content-security-policy-report-only" not in h  # enforced, not merely reported
    assert "strict-transport-security" not in h  # PUBLIC_URL is http here


@pytest.mark.parametrize("path", ["/", "/login", "/login/", "/pricing/", "/no-such-page"])
def test_pages_carry_the_page_policy_with_their_inline_scripts_hashed(
    http, app_server, path
) -> None:
    response = http.get(path)
    assert response.status_code in (200, 404)
    _assert_common(response)
    policy = response.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["script-src"][:2] == ["'self'", "'unsafe-eval'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["connect-src"] == ["'self'", app_server.url.replace("http://", "ws://")]
    assert directives["object-src"] == ["'none'"]
    # Cross-origin isolated (the editor's live channel shares memory with its worker, a blob).
    assert directives["worker-src"] == ["'self'", "blob:"]
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"
    inline = script_hashes(response.text)
    assert inline and set(inline) <= set(directives["script-src"])


def test_assets_api_answers_and_errors_carry_the_headers_too(http, app_server) -> None:
    responses = {
        "asset": http.get(_asset_path(http)),
        "favicon": http.get("/favicon.svg"),
        "api": http.get("/api/v1/public/projects"),
        "api 401": http.get("/api/v1/projects"),
        "api 404": http.get(f"/api/v1/public/projects/{uuid.uuid4()}"),
        "api 422": http.post("/api/auth/login", json={"email": 1}),
        "ping": http.get("/ping"),
        "openapi": http.get("/api/openapi.json"),
    }
    for name, response in responses.items():
        _assert_common(response)
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        ), name
        assert "cross-origin-embedder-policy" not in response.headers, name
    assert [responses[k].status_code for k in ("api 401", "api 404", "api 422")] == [401, 404, 422]


def test_the_api_docs_page_runs_under_a_policy_of_its_own(http) -> None:
    response = http.get("/api/docs")
    assert response.status_code == 200
    _assert_common(response)
    policy = response.headers["content-security-policy"]
    assert "https:" not in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert set(script_hashes(response.text)) <= set(policy.replace(";", " ").split())


def test_the_api_docs_page_needs_nothing_from_another_site(http) -> None:
    """Swagger UI's script and stylesheet come from this server: the page works offline."""
    page = http.get("/api/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        answer = http.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 100, asset
    assert "SwaggerUIBundle" in http.get("/api/docs/assets/swagger-ui-bundle.js").text


def test_a_revalidated_page_keeps_the_page_policy(http) -> None:
    """The browser applies a 304's headers to the page it has cached: they must be the page's."""
    page = http.get("/dashboard/")
    again = http.get("/dashboard/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    _assert_common(again)
    assert again.headers["content-security-policy"] == page.headers["content-security-policy"]
    assert again.headers["cross-origin-embedder-policy"] == "require-corp"
