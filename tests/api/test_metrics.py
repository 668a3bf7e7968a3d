"""GET /api/metrics: Prometheus metrics only for a scraper holding METRICS_TOKEN."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from promptrepo.settings import settings


def test_metrics_do_not_exist_without_a_token_configured(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "metrics_token", None)
    assert api.get("/api/metrics").status_code == 404
    assert api.get("/api/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_need_the_token(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "metrics_token", "scrape-me-0123456789")
    api.get("/api/health")  # something to count
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic scrape-me-0123456789"},
        {"Authorization": "Bearer scrape-me-012345678"},
    ):
        refused = api.get("/api/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert "http_request" not in refused.text
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    allowed = api.get("/api/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    assert allowed.status_code == 200
    assert allowed.headers["content-type"].startswith("text/plain")
    assert "/api/health" in allowed.text
