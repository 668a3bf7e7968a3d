"""Throttling that holds under concurrency: logins and password-reset requests.

Real threads hit `auth.sign_in` at once, on both limiter backends (`kv_backend`: in process
and a real Redis). An attempt is counted before its password is checked, so no burst gets
past a budget; a successful login gives its unit back, so successes never lock anyone out.
Reset mails go to a real SMTP server on loopback (aiosmtpd), as in test_password_reset.py.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promptrepo.db import build_engine
from promptrepo.services import auth, rate_limits
from promptrepo.services.errors import NotAuthenticated, RateLimited
from promptrepo.settings import Settings, settings
from tests.unit.test_password_reset import Inbox, smtp  # noqa: F401 (fixture)

PASSWORD = "correct horse battery"
OFFICE = "198.51.100.10"


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The test's database with a pool large enough for every thread to hold a connection."""
    if engine.dialect.name == "sqlite":
        yield engine
        return
    wide = build_engine(engine.url.render_as_string(hide_password=False), pool_size=45)
    yield wide
    wide.dispose()


def email() -> str:
    return f"t-{uuid.uuid4().hex[:10]}@example.com"


def signed_up(engine: Engine, address: str) -> None:
    with Session(engine) as session:
        auth.sign_up(session, email=address, password=PASSWORD, name="Tess")
        session.commit()


def at_once(count: int, attempt: Callable[[int], Any]) -> list[Any]:
    """Run `attempt(i)` in `count` threads released together; each outcome or exception."""
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = attempt(i)
        except Exception as exc:  # judged by the test
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def sign_in(engine: Engine, address: str, password: str, ip: str = OFFICE):
    with Session(engine) as session:
        principal, _ = auth.sign_in(session, email=address, password=password, client_ip=ip)
        session.commit()
        return principal


def kinds(outcomes: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        name = type(outcome).__name__ if isinstance(outcome, Exception) else "ok"
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_defaults_are_five_per_account_and_an_office_sized_budget_per_address() -> None:
    defaults = Settings()
    assert defaults.login_rate_limit == "5/15 minutes"
    assert defaults.login_address_rate_limit == "100/15 minutes"
    assert defaults.password_reset_email_rate_limit == "3/hour"


def test_forty_concurrent_wrong_passwords_admit_at_most_the_account_limit(
    db: Engine, kv_backend: str
) -> None:
    victim = email()
    signed_up(db, victim)
    # From 40 different addresses, so only the account's budget stands in the way.
    outcomes = at_once(40, lambda i: sign_in(db, victim, f"guess {i}", ip=f"10.9.0.{i}"))
    assert kinds(outcomes) == {"NotAuthenticated": 5, "RateLimited": 35}
    with pytest.raises(RateLimited, match="Try again in 15 minutes"):
        sign_in(db, victim, PASSWORD, ip="10.9.1.1")


def test_a_stuffing_run_from_one_address_is_stopped_at_the_address_budget(
    db: Engine, kv_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "login_address_rate_limit", "10/15 minutes")
    colleague = email()
    signed_up(db, colleague)
    outcomes = at_once(30, lambda i: sign_in(db, email(), "stuffed password"))
    assert kinds(outcomes) == {"NotAuthenticated": 10, "RateLimited": 20}
    refused = next(o for o in outcomes if isinstance(o, RateLimited))
    assert "from your network" in refused.message
    # The run is stopped for everyone at that address, not elsewhere.
    with pytest.raises(RateLimited):
        sign_in(db, colleague, PASSWORD)
    assert sign_in(db, colleague, PASSWORD, ip="198.51.100.11").email == colleague


def test_one_persons_typos_never_lock_out_colleagues_behind_the_same_address(
    db: Engine, kv_backend: str
) -> None:
    clumsy, colleagues = email(), [email() for _ in range(3)]
    for address in (clumsy, *colleagues):
        signed_up(db, address)
    for i in range(8):  # far past the account's own limit
        with pytest.raises((NotAuthenticated, RateLimited)):
            sign_in(db, clumsy, f"typo {i}")
    with pytest.raises(RateLimited):
        sign_in(db, clumsy, PASSWORD)  # their own account waits
    for address in colleagues:
        assert sign_in(db, address, PASSWORD).email == address


def test_successful_logins_use_up_neither_budget(
    db: Engine, kv_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "login_address_rate_limit", "5/15 minutes")
    monkeypatch.setattr(settings, "login_rate_limit", "3/15 minutes")
    user = email()
    signed_up(db, user)
    for _ in range(12):  # far past both budgets
        assert sign_in(db, user, PASSWORD).email == user
    # A user's own typos are forgiven by their next successful login.
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            sign_in(db, user, "typo")
    sign_in(db, user, PASSWORD)
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            sign_in(db, user, "typo")
    assert sign_in(db, user, PASSWORD).email == user
    status = rate_limits.test(settings.login_address_rate_limit, "login-ip", OFFICE)
    assert status.remaining == 5 - 4  # only the four failures stay on the address


def test_concurrent_first_hits_on_a_fresh_limiter_admit_exactly_the_limit(
    kv_backend: str,
) -> None:
    key = uuid.uuid4().hex
    outcomes = at_once(40, lambda i: rate_limits.hit("20/15 minutes", "burst", key).allowed)
    assert outcomes.count(True) == 20


def test_refund_gives_back_exactly_one_unit(kv_backend: str) -> None:
    limit = "3/minute"
    key = uuid.uuid4().hex
    for _ in range(3):
        assert rate_limits.hit(limit, "refund-test", key).allowed
    assert not rate_limits.hit(limit, "refund-test", key).allowed
    rate_limits.refund(limit, "refund-test", key)
    assert rate_limits.hit(limit, "refund-test", key).allowed
    assert not rate_limits.hit(limit, "refund-test", key).allowed


# --------------------------------------------------------------------------- reset requests
def test_fifteen_reset_requests_for_one_address_send_three_mails(
    session: Session,
    kv_backend: str,
    smtp: Inbox,  # noqa: F811
) -> None:
    address = email()
    auth.sign_up(session, email=address, password=PASSWORD, name="Rita")
    session.commit()
    answers = {
        auth.request_password_reset(session, address, client_ip=f"10.8.0.{i}") for i in range(15)
    }
    unknown = {
        auth.request_password_reset(session, email(), client_ip=f"10.8.1.{i}") for i in range(5)
    }
    assert len(answers | unknown) == 1  # the same sentence, known or not, limited or not
    assert len(smtp.wait_for(4, timeout=1.5)) == 3


def test_reset_requests_are_limited_per_address_whoever_they_name(
    session: Session,
    kv_backend: str,
    smtp: Inbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "password_reset_address_rate_limit", "4/hour")
    known = email()
    auth.sign_up(session, email=known, password=PASSWORD, name="Rita")
    session.commit()
    for _ in range(4):
        auth.request_password_reset(session, email(), client_ip=OFFICE)
    for address in (known, email()):  # refused alike: nothing told about the address
        with pytest.raises(RateLimited, match="from your network"):
            auth.request_password_reset(session, address, client_ip=OFFICE)
    assert smtp.wait_for(1, timeout=0.5) == []
