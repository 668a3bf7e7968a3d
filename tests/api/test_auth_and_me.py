"""/api/v1/auth (sign-up, token, logout) and /api/v1/me."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from promptrepo.services import accounts
from tests.api.conftest import Caller, bearer


def _signup(
    api: TestClient, email: str = "ada@example.com", password: str = "correct horse"
) -> dict:
    response = api.post(
        "/api/v1/auth/signup", json={"email": email, "password": password, "name": "Ada"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_signup_returns_a_working_token_and_profile(api: TestClient) -> None:
    body = _signup(api, email="Ada@Example.com")
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    assert body["user"]["email"] == "ada@example.com" and body["user"]["plan"] == "free"
    me = api.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == body["user"]
    assert me.json()["role"] == "user" and me.json()["theme_preference"] == "system"


def test_signup_conflict_and_validation(api: TestClient) -> None:
    _signup(api)
    taken = api.post(
        "/api/v1/auth/signup",
        json={"email": "ADA@example.com", "password": "another pass", "name": "A"},
    )
    assert taken.status_code == 409
    short = api.post(
        "/api/v1/auth/signup", json={"email": "b@example.com", "password": "short", "name": "B"}
    )
    assert short.status_code == 422 and short.json()["errors"][0]["loc"] == ["body", "password"]
    missing = api.post("/api/v1/auth/signup", json={"email": "c@example.com"})
    assert missing.status_code == 422
    assert {tuple(e["loc"]) for e in missing.json()["errors"]} == {
        ("body", "password"),
        ("body", "name"),
    }


def test_token_with_password_then_logout(api: TestClient) -> None:
    _signup(api)
    response = api.post(
        "/api/v1/auth/token", json={"email": "ada@example.com", "password": "correct horse"}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert api.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_bad_credentials_are_401_and_throttled(api: TestClient) -> None:
    _signup(api)
    statuses = [
        api.post(
            "/api/v1/auth/token", json={"email": "ada@example.com", "password": "wrong pass"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses[0] == 401, statuses
    assert statuses[-1] == 429, statuses
    assert statuses[-1] == 429
    refused = api.post(
        "/api/v1/auth/token", json={"email": "ada@example.com", "password": "correct horse"}
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_me_update_and_suspension(api: TestClient, owner: Caller, session: Session) -> None:
    patched = api.patch(
        "/api/v1/me", json={"theme_preference": "dark", "name": "Own"}, headers=owner.headers
    )
    assert patched.status_code == 200 and patched.json()["theme_preference"] == "dark"
    assert (
        api.patch(
            "/api/v1/me", json={"theme_preference": "pink"}, headers=owner.headers
        ).status_code
        == 422
    )
    assert (
        api.patch("/api/v1/me", json={"name": "x"}, headers=owner.read_headers).status_code == 403
    )
    assert (
        api.get("/api/v1/me", headers=owner.read_headers).json()["email"] == owner.principal.email
    )
    accounts.set_suspended_by_email(session, owner.principal.email, suspended=True)
    session.commit()
    assert api.get("/api/v1/me", headers=owner.headers).status_code == 401
    assert api.get("/api/v1/me", headers=owner.read_headers).status_code == 401


def test_me_without_credentials_is_401(api: TestClient) -> None:
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
