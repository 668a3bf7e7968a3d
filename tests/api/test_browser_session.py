"""/api/auth: the browser's session cookie is set and cleared by the server, HttpOnly.

Through the real FastAPI app (`create_api()`) on SQLite and PostgreSQL, in-process and Redis.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from promptrepo.models import AuthSession
from promptrepo.services import accounts
from promptrepo.services.sessions import SESSION_COOKIE, SIGNED_IN_HINT_COOKIE, resolve_session
from promptrepo.settings import settings
from tests.factories import make_user

PASSWORD = "correct horse battery"
SAME_ORIGIN = {"Origin": settings.public_origin}


def _user(session: Session, email: str = "lin@example.com") -> None:
    user = make_user(session, email=email, name="Lin")
    accounts.set_password(session, user.user_id, PASSWORD)
    session.commit()


def _cookie_header(response, name: str = SESSION_COOKIE) -> str:
    headers = [
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(f"{name}=")
    ]
    assert len(headers) == 1, response.headers
    return headers[0]


def _attributes(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")]
    return {p.partition("=")[0].lower(): p.partition("=")[2] for p in parts[1:]}


def test_login_sets_an_httponly_lax_cookie_holding_a_working_session(
    api: TestClient, session: Session
) -> None:
    _user(session)
    response = api.post(
        "/api/auth/login",
        json={"email": "LIN@example.com", "password": PASSWORD, "next": "/settings"},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"next": "/settings"}
    set_cookie = _cookie_header(response)
    name, _, token = set_cookie.split(";")[0].partition("=")
    assert name == SESSION_COOKIE and token.startswith("prs_")
    attributes = _attributes(set_cookie)
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert int(attributes["max-age"]) == settings.session_ttl_seconds
    assert "secure" not in attributes  # PUBLIC_URL is http in tests
    assert token not in response.text  # the body never carries the secret
    session.expire_all()
    assert resolve_session(session, token).email == "lin@example.com"
    # Beside it, a hint the page can read (no secret in it): "someone is signed in here".
    hint = _cookie_header(response, SIGNED_IN_HINT_COOKIE)
    assert hint.split(";")[0] == f"{SIGNED_IN_HINT_COOKIE}=1"
    assert "httponly" not in _attributes(hint)
    assert int(_attributes(hint)["max-age"]) == settings.session_ttl_seconds


def test_the_cookie_is_secure_when_public_url_is_https(
    api: TestClient, session: Session, monkeypatch
) -> None:
    _user(session)
    monkeypatch.setattr(settings, "public_url", "https://prompts.example.com")
    response = api.post(
        "/api/auth/login",
        json={"email": "lin@example.com", "password": PASSWORD},
        headers={"Origin": "https://prompts.example.com"},
    )
    assert response.status_code == 200, response.text
    assert "secure" in _attributes(_cookie_header(response))


def test_a_wrong_password_sets_no_cookie_and_says_why(api: TestClient, session: Session) -> None:
    _user(session)
    response = api.post(
        "/api/auth/login",
        json={"email": "lin@example.com", "password": "not it"},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "Incorrect e-mail address or password."
    assert "set-cookie" not in response.headers


def test_missing_fields_are_reported_per_field(api: TestClient) -> None:
    response = api.post("/api/auth/login", json={"email": "lin@example.com"}, headers=SAME_ORIGIN)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "password"]]


def test_another_sites_page_can_neither_log_in_nor_log_out(
    api: TestClient, session: Session
) -> None:
    _user(session)
    for origin in ("https://evil.example", "null"):
        response = api.post(
            "/api/auth/login",
            json={"email": "lin@example.com", "password": PASSWORD},
            headers={"Origin": origin},
        )
        assert response.status_code == 403, origin
        assert "set-cookie" not in response.headers
        logout = api.post("/api/auth/logout", headers={"Origin": origin})
        assert logout.status_code == 403 and "set-cookie" not in logout.headers
    session.expire_all()
    assert session.exec(select(AuthSession)).first() is None


def test_an_offsite_next_is_replaced_by_the_dashboard(api: TestClient, session: Session) -> None:
    _user(session)
    response = api.post(
        "/api/auth/login",
        json={"email": "lin@example.com", "password": PASSWORD, "next": "//evil.example/x"},
        headers=SAME_ORIGIN,
    )
    assert response.json() == {"next": "/dashboard"}


def test_signup_sets_the_cookie_and_a_taken_address_gets_a_field_error(
    api: TestClient, session: Session
) -> None:
    body = {"name": "Ada", "email": "ada@example.com", "password": PASSWORD, "next": ""}
    created = api.post("/api/auth/signup", json=body, headers=SAME_ORIGIN)
    assert created.status_code == 200, created.text
    assert created.json() == {"next": "/dashboard"}
    assert "httponly" in _attributes(_cookie_header(created))
    taken = api.post("/api/auth/signup", json=body, headers=SAME_ORIGIN)
    assert taken.status_code == 409
    assert "set-cookie" not in taken.headers
    assert [e["loc"] for e in taken.json()["errors"]] == [["body", "email"]]


def test_logout_revokes_the_session_and_clears_the_cookie(
    api: TestClient, session: Session
) -> None:
    _user(session)
    login = api.post(
        "/api/auth/login",
        json={"email": "lin@example.com", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    token = login.cookies[SESSION_COOKIE]
    assert api.cookies.get(SESSION_COOKIE) == token  # the client keeps it, as a browser does
    response = api.post("/api/auth/logout", headers=SAME_ORIGIN)
    assert response.status_code == 204
    cleared = _attributes(_cookie_header(response))
    assert cleared["max-age"] == "0" and "httponly" in cleared
    assert api.cookies.get(SESSION_COOKIE) is None
    assert _attributes(_cookie_header(response, SIGNED_IN_HINT_COOKIE))["max-age"] == "0"
    assert api.cookies.get(SIGNED_IN_HINT_COOKIE) is None
    session.expire_all()
    assert resolve_session(session, token) is None
    # Without a cookie there is nothing to revoke: still 204.
    assert api.post("/api/auth/logout", headers=SAME_ORIGIN).status_code == 204
