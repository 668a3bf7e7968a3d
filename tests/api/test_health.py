"""GET /api/health through the real served app."""

import httpx


def test_health_reports_database_and_redis(app_server) -> None:
    response = httpx.get(app_server.url + "/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["redis"]["status"] in {"ok", "disabled"}
    if app_server.redis_url:
        assert body["redis"]["status"] == "ok"
