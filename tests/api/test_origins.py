"""Which web pages may use the served app: PUBLIC_URL's origin (plus CORS_ORIGINS), no other.

Through the real served app (tests/app_server.py), because the CORS middleware and the
websocket's Origin check are Reflex's (configured from rxconfig.py), not part of `create_api()`.
"""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

EVIL = "https://evil.example"


def _preflight(app_server, origin: str, path: str = "/api/v1/projects") -> httpx.Response:
    return httpx.options(
        app_server.url + path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )


@pytest.mark.parametrize("path", ["/api/v1/projects", "/api/auth/login", "/_event/"])
def test_a_foreign_preflight_gets_no_allow_origin(app_server, path: str) -> None:
    for origin in (EVIL, "null"):
        response = _preflight(app_server, origin, path)
        # Without Access-Control-Allow-Origin the browser refuses the call that would follow.
        assert "access-control-allow-origin" not in response.headers, (origin, response.headers)
        assert response.status_code >= 400


def test_the_apps_own_origin_passes_the_preflight(app_server) -> None:
    response = _preflight(app_server, app_server.url)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == app_server.url


def test_a_foreign_origin_is_not_reflected_on_a_credentialed_request(app_server) -> None:
    response = httpx.get(
        app_server.url + "/api/v1/public/projects",
        headers={"Origin": EVIL, "Cookie": "pr_session=prs_whatever"},
        timeout=10,
    )
    assert response.status_code == 200
    # Starlette adds Allow-Credentials to every answer; without Allow-Origin it grants nothing.
    assert "access-control-allow-origin" not in response.headers


def _socket_url(app_server) -> str:
    return app_server.url.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"


@pytest.mark.parametrize("origin", [EVIL, "null", "http://127.0.0.1:1"])
def test_the_websocket_refuses_a_foreign_or_null_origin(app_server, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(_socket_url(app_server), origin=origin, open_timeout=10).close()
    assert refused.value.response.status_code in (400, 403)


def test_the_websocket_accepts_the_apps_own_origin(app_server) -> None:
    with connect(_socket_url(app_server), origin=app_server.url, open_timeout=10) as socket:
        opening = socket.recv(timeout=10)
    assert opening.startswith("0{") and '"sid"' in opening  # engine.io's OPEN packet
