"""The API sees the same principal whichever way a user signed in: our session tokens from the
accounts service, and (AUTH_PROVIDER=supabase) Supabase access tokens verified by the backend.

Supabase's auth server is mocked at the HTTP boundary by the loopback fake GoTrue of
tests/unit/test_auth_supabase.py (a real JWKS, real ES256 tokens).
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from promptrepo.models import Identity, Profile
from promptrepo.services import accounts, auth
from tests.api.conftest import bearer
from tests.factories import make_user
from tests.unit.test_auth_supabase import FakeSupabase, supabase  # noqa: F401 (fixture)

PASSWORD = "correct horse battery"


def test_session_token_from_sign_in_works_until_sign_out(api: TestClient, session: Session) -> None:
    principal, token = auth.sign_up(
        session, email="api-user@example.com", password=PASSWORD, name="Api User"
    )
    session.commit()
    assert api.get("/api/v1/api-keys", headers=bearer(token)).status_code == 200
    auth.sign_out(session, token)
    session.commit()
    assert api.get("/api/v1/api-keys", headers=bearer(token)).status_code == 401


def test_suspension_stops_a_cached_session_token_at_once(api: TestClient, session: Session) -> None:
    admin = make_user(session, role="admin")
    principal, token = auth.sign_up(
        session, email="to-suspend@example.com", password=PASSWORD, name="S"
    )
    session.commit()
    assert api.get("/api/v1/api-keys", headers=bearer(token)).status_code == 200  # now cached
    accounts.suspend_user(session, admin, principal.user_id)
    session.commit()
    assert api.get("/api/v1/api-keys", headers=bearer(token)).status_code == 401


def test_supabase_access_token_is_a_bearer_for_the_api(
    api: TestClient,
    session: Session,
    supabase: FakeSupabase,  # noqa: F811
) -> None:
    token = supabase.token(sub="sb-api-1", email="sb-api@example.com")
    response = api.get("/api/v1/api-keys", headers=bearer(token))
    assert response.status_code == 200, response.text
    profile = session.exec(select(Profile).where(Profile.email == "sb-api@example.com")).one()
    identity = session.exec(select(Identity).where(Identity.subject == "sb-api-1")).one()
    assert identity.user_id == profile.id

    for bad in (
        supabase.token(sub="sb-api-1", email="sb-api@example.com", aud="anon"),
        supabase.token(sub="sb-api-1", email="sb-api@example.com", iss="https://x/auth/v1"),
        token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
    ):
        assert api.get("/api/v1/api-keys", headers=bearer(bad)).status_code == 401
