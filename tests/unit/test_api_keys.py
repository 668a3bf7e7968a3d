"""API keys service: secrets shown once and stored hashed, scopes, revocation, suspension."""

import pytest
from sqlmodel import Session

from promptrepo.models import ApiKey, Profile, utcnow
from promptrepo.services import api_keys
from promptrepo.services.errors import NotFound, PermissionDenied, ValidationFailed
from promptrepo.services.principal import Principal
from tests.factories import make_user


def test_secret_is_returned_once_and_only_its_hash_is_stored(session: Session) -> None:
    user = make_user(session)
    key, secret = api_keys.create_api_key(session, user, name="worker", scope="write")
    session.commit()
    assert secret.startswith("pr_") and len(secret) > 40
    assert key.key_hash == api_keys.hash_secret(secret) and secret not in key.key_hash
    assert secret.startswith(key.prefix) and len(key.prefix) < len(secret)
    principal = api_keys.principal_from_api_key(session, secret)
    assert principal is not None
    assert principal.user_id == user.user_id and principal.api_key_scope == "write"


def test_read_key_principal_cannot_write(session: Session) -> None:
    user = make_user(session)
    _, secret = api_keys.create_api_key(session, user, name="r")
    principal = api_keys.principal_from_api_key(session, secret)
    assert principal.api_key_scope == "read" and not principal.can_write


def test_unknown_revoked_and_suspended_keys_are_refused(session: Session) -> None:
    user = make_user(session)
    key, secret = api_keys.create_api_key(session, user, name="k")
    assert api_keys.principal_from_api_key(session, "pr_unknown") is None
    assert api_keys.principal_from_api_key(session, "prs_" + secret) is None
    api_keys.revoke_api_key(session, user, key.id)
    session.commit()
    assert api_keys.principal_from_api_key(session, secret) is None

    _, other_secret = api_keys.create_api_key(session, user, name="k2")
    profile = session.get(Profile, user.user_id)
    profile.suspended_at = utcnow()
    session.add(profile)
    session.commit()
    assert api_keys.principal_from_api_key(session, other_secret) is None


def test_last_used_is_written_at_most_once_a_minute(session: Session) -> None:
    user = make_user(session)
    key, secret = api_keys.create_api_key(session, user, name="k")
    session.commit()
    api_keys.principal_from_api_key(session, secret)
    session.commit()
    session.refresh(key)
    first = key.last_used_at
    assert first is not None
    api_keys.principal_from_api_key(session, secret)
    session.commit()
    session.refresh(key)
    assert key.last_used_at == first


def test_outsider_cannot_list_or_revoke_my_keys(session: Session) -> None:
    owner = make_user(session)
    outsider = make_user(session)
    key, _ = api_keys.create_api_key(session, owner, name="mine")
    assert api_keys.list_api_keys(session, outsider) == []
    with pytest.raises(NotFound):
        api_keys.revoke_api_key(session, outsider, key.id)
    with pytest.raises(NotFound):
        api_keys.revoke_api_key(session, outsider, "not-a-uuid")
    assert [k.id for k in api_keys.list_api_keys(session, owner)] == [key.id]


def test_keys_cannot_create_keys_and_bad_input_is_refused(session: Session) -> None:
    user = make_user(session)
    as_key = Principal(user.user_id, user.email, user.name, api_key_scope="write")
    with pytest.raises(PermissionDenied):
        api_keys.create_api_key(session, as_key, name="x")
    with pytest.raises(ValidationFailed) as info:
        api_keys.create_api_key(session, user, name=" ", scope="root")
    assert {tuple(e["loc"]) for e in info.value.errors} == {("body", "name"), ("body", "scope")}


def test_revoked_keys_leave_the_list_and_revoking_twice_is_harmless(session: Session) -> None:
    user = make_user(session)
    key, _ = api_keys.create_api_key(session, user, name="k")
    api_keys.revoke_api_key(session, user, key.id)
    api_keys.revoke_api_key(session, user, key.id)
    assert api_keys.list_api_keys(session, user) == []
    assert [k.id for k in api_keys.list_api_keys(session, user, include_revoked=True)] == [key.id]
    assert session.get(ApiKey, key.id).revoked_at is not None


def test_a_jwt_principal_is_never_cached_past_the_tokens_expiry() -> None:
    import time

    import jwt

    from promptrepo.api.gate import PRINCIPAL_TTL_SECONDS, _principal_ttl

    def token(seconds_left: int) -> str:
        return jwt.encode(
            {"exp": int(time.time()) + seconds_left},
            "a-test-signing-key-of-32-bytes!!",
            algorithm="HS256",
        )

    assert 0.75 * PRINCIPAL_TTL_SECONDS <= _principal_ttl(token(3600)) <= PRINCIPAL_TTL_SECONDS
    assert 1 <= _principal_ttl(token(10)) <= 10
    assert _principal_ttl(token(-5)) == 1
    assert 0.75 * PRINCIPAL_TTL_SECONDS <= _principal_ttl("pr_abc") <= PRINCIPAL_TTL_SECONDS


def test_principals_cached_together_do_not_all_expire_together() -> None:
    from promptrepo.api.gate import PRINCIPAL_TTL_SECONDS, _principal_ttl

    ttls = [_principal_ttl("pr_abc") for _ in range(200)]
    assert all(0.75 * PRINCIPAL_TTL_SECONDS <= ttl <= PRINCIPAL_TTL_SECONDS for ttl in ttls)
    assert len(set(ttls)) >= 10  # spread over the range, not one second


def test_concurrent_requests_with_an_uncached_key_load_it_once(
    use_engine, kv_backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy key whose cache entry is missing (or just expired) is read from the database
    by one request; the others arriving meanwhile wait for that read."""
    import asyncio
    import threading

    from promptrepo.api import gate
    from tests.support.run_async import run_async

    with Session(use_engine) as session:
        user = make_user(session)
        _, secret = api_keys.create_api_key(session, user, name="busy", scope="read")
        session.commit()

    loads = []
    release = threading.Event()
    real_load = gate._load_principal

    def slow_load(token):
        loads.append(token)
        release.wait(5)  # hold the first load until every request has arrived
        return real_load(token)

    monkeypatch.setattr(gate, "_load_principal", slow_load)

    async def twenty_requests():
        requests = [asyncio.ensure_future(gate.admit(secret)) for _ in range(20)]
        await asyncio.sleep(0.2)
        release.set()
        return await asyncio.gather(*requests)

    admissions = run_async(twenty_requests())
    assert loads == [secret]
    assert {a.principal.user_id for a in admissions} == {user.user_id}
    assert all(a.limit.allowed for a in admissions)
