"""Every request body is bounded before it is read: the API, the Stripe webhook, uploads.

Through FastAPI's TestClient on `create_api()`, which in the served app wraps the whole
Reflex backend, so its middleware sees Reflex's `/_upload` too. The served app (granian,
a 200 MB streamed body, its memory) is tested in tests/api/test_served_body_limits.py.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from promptrepo.api.middleware import UPLOAD_MAX_BYTES
from promptrepo.services import transfer
from promptrepo.settings import settings

MB = 1024 * 1024


def chunks(total: int, size: int = 64 * 1024):
    """A body without Content-Length (chunked): only counting while it arrives can stop it."""
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


@pytest.mark.parametrize(
    "path", ["/api/stripe/webhook", "/api/health", "/api/v1/auth/token", "/_upload"]
)
def test_a_body_over_the_limit_is_413_on_every_route(api: TestClient, path: str) -> None:
    assert settings.api_max_body_bytes == MB
    limit = UPLOAD_MAX_BYTES if path == "/_upload" else MB
    declared = api.post(path, content=b"x" * (limit + 1), headers={"Stripe-Signature": "t=1"})
    assert declared.status_code == 413
    assert declared.headers["content-type"].startswith("application/problem+json")
    assert f"{limit:,} bytes" in declared.json()["detail"]
    if path in ("/api/stripe/webhook", "/api/v1/auth/token"):
        # (A route that takes no body never reads one: /api/health answers 405, and Reflex's
        # /_upload is not part of this app; the served app's test streams to it.)
        streamed = api.post(path, content=chunks(3 * MB))
        assert streamed.status_code == 413


def test_the_webhook_is_refused_before_its_body_is_read(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "stripe_webhook_secret", "whsec_test")
    read = []
    from promptrepo.services import billing

    monkeypatch.setattr(billing, "receive_webhook", lambda *a: read.append(a))
    response = api.post("/api/stripe/webhook", content=chunks(5 * MB))
    assert response.status_code == 413
    assert read == []  # the service never saw a byte of it


def test_a_webhook_within_the_limit_still_reaches_the_service(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "stripe_webhook_secret", "whsec_test")
    response = api.post(
        "/api/stripe/webhook", content=b'{"id": "evt"}' + b" " * (MB - 20), headers={}
    )
    # Reached the signature check (no signature): refused as invalid, not as too large.
    assert response.status_code == 400


def test_the_import_box_explains_a_file_that_is_too_large() -> None:
    assert UPLOAD_MAX_BYTES > transfer.MAX_DOCUMENT_BYTES  # the server lets a full one through
    rejected = [
        {
            "file": {"path": "big.json", "size": 3_400_000},
            "errors": [{"code": "file-too-large", "message": "File is larger than 2000000 bytes"}],
        }
    ]
    message = transfer.rejected_upload_message(rejected)
    assert message.startswith("That file is 3.4 MB; an import can be at most 2.0 MB.")
    assert "json" in transfer.rejected_upload_message(
        [{"file": {"path": "a.png"}, "errors": [{"code": "file-invalid-type"}]}]
    )
