"""AUTH_PROVIDER=supabase: our own verification of Supabase access tokens, first-sight
provisioning, and sign-up/sign-in through the `supabase` client.

Supabase's hosted auth server cannot run here, so it is mocked AT THE HTTP BOUNDARY: a small
fake GoTrue (http.server on loopback) answers the real client's `POST /auth/v1/signup` and
`POST /auth/v1/token?grant_type=password`, and serves a real JWKS at
`/auth/v1/.well-known/jwks.json`. Tokens are minted with real ES256/RS256 keys and an HS256
secret; everything on our side (the supabase client, PyJWT, PyJWKClient) runs unmodified.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from sqlmodel import Session, func, select

from promptrepo.models import AuthSession, Billing, Identity, Profile
from promptrepo.services import accounts, auth, sessions
from promptrepo.services.errors import Conflict, NotAuthenticated, RateLimited
from promptrepo.services.supabase_tokens import (
    InvalidToken,
    ProviderUnavailable,
    verify_access_token,
)
from promptrepo.settings import settings
from tests.factories import make_user

HS_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
PASSWORD = "correct horse battery"
SERVICE_ROLE_KEY = "service-role-key-for-tests"


@dataclass
class FakeSupabase:
    """Keys, users and a loopback HTTP server that speaks the bits of GoTrue we use."""

    url: str = ""
    ec_key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    rsa_key: Any = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    confirm_email: bool = False
    refuse_deletes: bool = False
    requests: list[tuple[str, str, dict]] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"{self.url}/auth/v1"

    def jwks(self) -> dict:
        ec_jwk = ECAlgorithm.to_jwk(self.ec_key.public_key(), as_dict=True)
        rsa_jwk = RSAAlgorithm.to_jwk(self.rsa_key.public_key(), as_dict=True)
        return {
            "keys": [
                {**ec_jwk, "kid": "ec-1", "alg": "ES256", "use": "sig"},
                {**rsa_jwk, "kid": "rsa-1", "alg": "RS256", "use": "sig"},
            ]
        }

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "sub": str(uuid.uuid4()),
            "email": f"sb-{uuid.uuid4().hex[:8]}@example.com",
            "aud": "authenticated",
            "iss": self.issuer,
            "role": "authenticated",
            "iat": now,
            "exp": now + 3600,
            "user_metadata": {"name": "Supa User"},
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, alg: str = "ES256", **overrides: Any) -> str:
        claims = self.claims(**overrides)
        if alg == "HS256":
            return jwt.encode(claims, HS_SECRET, algorithm="HS256")
        if alg == "RS256":
            return jwt.encode(claims, self.rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
        return jwt.encode(claims, self.ec_key, algorithm="ES256", headers={"kid": "ec-1"})

    def session_body(self, user: dict[str, Any]) -> dict[str, Any]:
        access = self.token(
            sub=user["id"], email=user["email"], user_metadata=user["user_metadata"]
        )
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": 3600,
            "expires_at": int(time.time()) + 3600,
            "refresh_token": uuid.uuid4().hex,
            "user": self.user_body(user),
        }

    @staticmethod
    def user_body(user: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": user["id"],
            "aud": "authenticated",
            "role": "authenticated",
            "email": user["email"],
            "app_metadata": {"provider": "email"},
            "user_metadata": user["user_metadata"],
            "created_at": datetime.now(UTC).isoformat(),
        }


def _handler(fake: FakeSupabase):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_DELETE(self) -> None:  # noqa: N802  (GoTrue admin: delete a user)
            fake.requests.append((f"DELETE {self.path}", self.headers.get("Authorization", ""), {}))
            prefix = "/auth/v1/admin/users/"
            if not self.path.startswith(prefix):
                self._send(404, {"msg": "not found"})
            elif self.headers.get("Authorization") != f"Bearer {SERVICE_ROLE_KEY}":
                self._send(403, {"code": 403, "error_code": "not_admin", "msg": "not admin"})
            elif fake.refuse_deletes:
                self._send(500, {"code": 500, "error_code": "unexpected_failure", "msg": "down"})
            else:
                subject = self.path[len(prefix) :]
                found = [e for e, u in fake.users.items() if u["id"] == subject]
                if not found:
                    self._send(404, {"code": 404, "error_code": "user_not_found", "msg": "?"})
                    return
                del fake.users[found[0]]
                self._send(200, {})

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/auth/v1/.well-known/jwks.json":
                self._send(200, fake.jwks())
            else:
                self._send(404, {"msg": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append((self.path, self.headers.get("apikey", ""), body))
            if self.path.startswith("/auth/v1/signup"):
                if body["email"] in fake.users:
                    self._send(
                        422,
                        {
                            "code": 422,
                            "error_code": "user_already_exists",
                            "msg": "User already registered",
                        },
                    )
                    return
                user = {
                    "id": str(uuid.uuid4()),
                    "email": body["email"],
                    "password": body["password"],
                    "user_metadata": body.get("data") or {},
                }
                fake.users[body["email"]] = user
                if fake.confirm_email:
                    self._send(200, fake.user_body(user))
                else:
                    self._send(200, fake.session_body(user))
            elif self.path.startswith("/auth/v1/token?grant_type=password"):
                user = fake.users.get(body.get("email"))
                if user is None or user["password"] != body.get("password"):
                    self._send(
                        400,
                        {
                            "code": 400,
                            "error_code": "invalid_credentials",
                            "msg": "Invalid login credentials",
                        },
                    )
                    return
                self._send(200, fake.session_body(user))
            elif self.path.startswith("/auth/v1/recover"):
                self._send(200, {})
            else:
                self._send(404, {"msg": "not found"})

    return Handler


@pytest.fixture
def supabase(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSupabase]:
    fake = FakeSupabase()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(settings, "auth_provider", "supabase")
    monkeypatch.setattr(settings, "supabase_url", fake.url)
    monkeypatch.setattr(settings, "supabase_anon_key", "anon-key-for-tests")
    monkeypatch.setattr(settings, "supabase_jwt_secret", HS_SECRET)
    yield fake
    server.shutdown()
    server.server_close()


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


# --------------------------------------------------------------------------- verification
@pytest.mark.parametrize("alg", ["ES256", "RS256", "HS256"])
def test_valid_tokens_are_accepted_for_each_algorithm(supabase: FakeSupabase, alg: str) -> None:
    claims = verify_access_token(supabase.token(alg, sub="abc-123"))
    assert claims["sub"] == "abc-123" and claims["aud"] == "authenticated"


def _none_token(fake: FakeSupabase) -> str:
    return jwt.encode(fake.claims(), key=None, algorithm="none")


def _tampered(fake: FakeSupabase) -> str:
    header, payload, signature = fake.token().split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["sub"] = "someone-else"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{forged}.{signature}"


REFUSED = {
    "expired": lambda f: f.token(exp=int(time.time()) - 10),
    "expired HS256": lambda f: f.token("HS256", exp=int(time.time()) - 10),
    "tampered": _tampered,
    "wrong audience": lambda f: f.token(aud="anon"),
    "wrong issuer": lambda f: f.token(iss="https://evil.example/auth/v1"),
    "alg none": _none_token,
    "no exp": lambda f: f.token(exp=None),
    "no sub": lambda f: f.token(sub=None),
    "HS256 with another secret": lambda f: jwt.encode(
        f.claims(), "another-secret-of-at-least-32-characters!!", algorithm="HS256"
    ),
    "unknown signing key": lambda f: jwt.encode(
        f.claims(),
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": "ec-1"},
    ),
    "unknown kid": lambda f: jwt.encode(
        f.claims(), f.ec_key, algorithm="ES256", headers={"kid": "nope"}
    ),
    "HS384": lambda f: jwt.encode(f.claims(), HS_SECRET, algorithm="HS384"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_tokens_are_refused(supabase: FakeSupabase, session: Session, case: str) -> None:
    token = REFUSED[case](supabase)
    with pytest.raises(InvalidToken):
        verify_access_token(token)
    assert auth.principal_from_token(session, token) is None
    assert count(session, Profile) == 0


def test_supabase_tokens_are_ignored_when_the_provider_is_local(
    supabase: FakeSupabase, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "auth_provider", "local")
    assert auth.principal_from_token(session, supabase.token()) is None


# --------------------------------------------------------------------------- provisioning
def test_first_sight_creates_profile_billing_and_identity_once(
    supabase: FakeSupabase, session: Session
) -> None:
    token = supabase.token(sub="user-1", email="New.User@Example.com")
    principal = auth.principal_from_token(session, token)
    session.commit()
    assert principal.email == "new.user@example.com" and principal.name == "Supa User"
    assert principal.role == "user"
    identity = session.exec(select(Identity)).one()
    assert (identity.provider, identity.subject, identity.user_id) == (
        "supabase",
        "user-1",
        principal.user_id,
    )
    billing = session.exec(select(Billing).where(Billing.user_id == principal.user_id)).one()
    assert (billing.plan, billing.status) == ("free", "active")
    # Second sight (another token of the same user) finds the same profile.
    again = auth.principal_from_token(
        session, supabase.token("HS256", sub="user-1", email="new.user@example.com")
    )
    assert again == principal
    assert count(session, Profile) == 1


def test_an_existing_profile_with_the_same_email_is_linked_not_duplicated(
    supabase: FakeSupabase, session: Session
) -> None:
    admin = make_user(session, email="boss@example.com", role="admin")
    session.commit()
    principal = auth.principal_from_token(session, supabase.token(email="boss@example.com"))
    assert principal.user_id == admin.user_id and principal.role == "admin"
    assert count(session, Profile) == 1


def test_suspended_supabase_user_is_refused(supabase: FakeSupabase, session: Session) -> None:
    token = supabase.token(sub="user-2")
    principal = auth.principal_from_token(session, token)
    accounts.set_suspended_by_email(session, principal.email, suspended=True)
    session.commit()
    assert auth.principal_from_token(session, token) is None


# --------------------------------------------------------------------------- sign-up / in
def test_sign_up_goes_through_supabase_and_starts_our_own_session(
    supabase: FakeSupabase, session: Session
) -> None:
    principal, token = auth.sign_up(
        session, email="Sam@Example.com", password=PASSWORD, name="Sam", client_ip="10.1.1.1"
    )
    session.commit()
    path, apikey, body = supabase.requests[-1]
    assert path.startswith("/auth/v1/signup") and apikey == "anon-key-for-tests"
    assert body["email"] == "sam@example.com" and body["data"] == {"name": "Sam"}
    assert token.startswith("prs_")
    assert auth.principal_from_token(session, token) == principal
    assert principal.name == "Sam"
    identity = session.exec(select(Identity)).one()
    assert identity.subject == supabase.users["sam@example.com"]["id"]
    assert count(session, Billing) == 1
    # No local password is stored for a Supabase user.
    assert not accounts.has_password(session, principal.user_id)


def test_sign_up_with_a_taken_address_is_a_conflict(
    supabase: FakeSupabase, session: Session
) -> None:
    supabase.users["taken@example.com"] = {
        "id": "x",
        "email": "taken@example.com",
        "password": PASSWORD,
        "user_metadata": {},
    }
    with pytest.raises(Conflict):
        auth.sign_up(session, email="taken@example.com", password=PASSWORD, name="T")
    session.rollback()
    assert count(session, Profile) == 0


def test_sign_up_waiting_for_email_confirmation_creates_nothing_yet(
    supabase: FakeSupabase, session: Session
) -> None:
    supabase.confirm_email = True
    with pytest.raises(auth.EmailConfirmationRequired):
        auth.sign_up(session, email="wait@example.com", password=PASSWORD, name="W")
    session.rollback()
    assert count(session, Profile) == 0


def test_sign_in_through_supabase_then_sign_out(supabase: FakeSupabase, session: Session) -> None:
    principal, _ = auth.sign_up(session, email="lee@example.com", password=PASSWORD, name="Lee")
    session.commit()
    with pytest.raises(NotAuthenticated, match="Incorrect e-mail address or password"):
        auth.sign_in(session, email="lee@example.com", password="wrong password")
    signed_in, token = auth.sign_in(session, email="LEE@example.com", password=PASSWORD)
    session.commit()
    assert signed_in == principal
    assert session.exec(
        select(AuthSession).where(AuthSession.token_hash == sessions.hash_token(token))
    ).one()
    auth.sign_out(session, token)
    session.commit()
    assert auth.principal_from_token(session, token) is None


def test_supabase_sign_in_is_throttled_too(
    supabase: FakeSupabase, session: Session, kv_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "login_rate_limit", "2/15 minutes")
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            auth.sign_in(session, email="who@example.com", password="wrong password")
    calls = len(supabase.requests)
    with pytest.raises(RateLimited):
        auth.sign_in(session, email="who@example.com", password="wrong password")
    assert len(supabase.requests) == calls  # refused before asking Supabase


def test_unreachable_supabase_gives_a_clear_error(
    supabase: FakeSupabase, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "supabase_url", "http://127.0.0.1:9")
    with pytest.raises(ProviderUnavailable, match="not reachable"):
        auth.sign_in(session, email="x@example.com", password=PASSWORD)


def _supabase_user(session: Session, email: str = "del@example.com"):
    principal, _ = auth.sign_up(
        session, email=email, password=PASSWORD, name="Del", client_ip="10.1.1.9"
    )
    session.commit()
    return principal


def test_deleting_an_account_deletes_the_supabase_user_too(
    supabase: FakeSupabase, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "supabase_service_role_key", SERVICE_ROLE_KEY)
    principal = _supabase_user(session)
    subject = supabase.users["del@example.com"]["id"]
    accounts.delete_account(session, principal, confirmation="del@example.com")
    session.commit()
    assert supabase.requests[-1][:2] == (
        f"DELETE /auth/v1/admin/users/{subject}",
        f"Bearer {SERVICE_ROLE_KEY}",
    )
    assert "del@example.com" not in supabase.users
    assert session.get(Profile, principal.user_id) is None


def test_when_supabase_cannot_delete_the_user_nothing_is_deleted(
    supabase: FakeSupabase, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "supabase_service_role_key", SERVICE_ROLE_KEY)
    principal = _supabase_user(session)
    supabase.refuse_deletes = True
    with pytest.raises(ProviderUnavailable, match="nothing was deleted"):
        accounts.delete_account(session, principal, confirmation="del@example.com")
    session.rollback()
    assert session.get(Profile, principal.user_id) is not None
    assert "del@example.com" in supabase.users
    # once Supabase answers again, the deletion goes through
    supabase.refuse_deletes = False
    accounts.delete_account(session, principal, confirmation="del@example.com")
    session.commit()
    assert session.get(Profile, principal.user_id) is None


def test_without_a_service_role_key_the_account_is_deleted_here_only(
    supabase: FakeSupabase, session: Session
) -> None:
    principal = _supabase_user(session)
    accounts.delete_account(session, principal, confirmation="del@example.com")
    session.commit()
    assert session.get(Profile, principal.user_id) is None
    assert not any(path.startswith("DELETE") for path, _, _ in supabase.requests)
    assert "del@example.com" in supabase.users  # the operator is told in the log
