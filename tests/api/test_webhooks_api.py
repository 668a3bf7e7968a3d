"""/api/v1/projects/{id}/webhooks, the delivery log and redeliver (delivery itself:
tests/unit/test_webhooks.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from promptrepo.settings import settings
from tests.api.conftest import Caller


def test_webhooks_are_created_logged_redelivered_and_private_to_the_owner(
    api: TestClient, owner: Caller, outsider: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = api.post(
        "/api/v1/projects", json={"name": "P", "is_public": True}, headers=owner.headers
    ).json()
    base = f"/api/v1/projects/{project['id']}"
    refused = api.post(
        f"{base}/webhooks",
        json={"url": "http://127.0.0.1:9/h", "events": ["label.moved"]},
        headers=owner.headers,
    )
    assert refused.status_code == 422 and "loopback" in refused.json()["detail"]
    monkeypatch.setattr(settings, "webhook_allow_private", True)
    created = api.post(
        f"{base}/webhooks",
        json={"url": "http://127.0.0.1:9/h", "events": ["label.moved", "version.created"]},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["secret"].startswith("whsec_")
    assert "secret" not in api.get(f"{base}/webhooks", headers=owner.headers).json()[0]
    # a public project's webhooks are still the owner's business only
    assert api.get(f"{base}/webhooks", headers=outsider.headers).status_code in (403, 404)
    bad_event = api.post(
        f"{base}/webhooks",
        json={"url": "http://127.0.0.1:9/h", "events": ["nope"]},
        headers=owner.headers,
    )
    assert bad_event.status_code == 422

    segment = api.post(f"{base}/segments", json={"name": "S"}, headers=owner.headers).json()
    prompt = api.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={"name": "p", "content": "Hi"},
        headers=owner.headers,
    ).json()
    api.post(
        f"/api/v1/prompts/{prompt['id']}/versions",
        json={"commit_message": "v1"},
        headers=owner.headers,
    )
    log = api.get(f"{base}/webhook-deliveries", headers=owner.headers).json()
    assert [d["event_type"] for d in log["items"]] == ["version.created"]
    assert log["items"][0]["status"] == "pending" and log["total"] == 1
    delivery = log["items"][0]
    again = api.post(
        f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver", headers=owner.headers
    )
    assert again.status_code == 202 and again.json()["message_id"] == delivery["message_id"]
    assert (
        api.post(
            f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver", headers=outsider.headers
        ).status_code
        == 404
    )
    hook_id = created.json()["id"]
    assert api.delete(f"/api/v1/webhooks/{hook_id}", headers=outsider.headers).status_code == 404
    assert api.delete(f"/api/v1/webhooks/{hook_id}", headers=owner.headers).status_code == 204
