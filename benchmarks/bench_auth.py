"""What signing in costs, and whether the answer time gives away which e-mails have accounts.

In process, on a fresh SQLite database (PostgreSQL too when TEST_PG_ADMIN_URL's server is
up), in-memory rate limits. Prints medians and ratios measured in this run:

- argon2id hash / verify (pwdlib defaults: 64 MiB, t=3, p=4);
- sign-in with the right password, a wrong password, and an unknown e-mail (the last two
  should take the same time: an unknown e-mail is checked against a dummy hash);
- resolving a `prs_` session token (what every Reflex handler does) vs. a bare primary-key
  lookup on the same database, as the baseline;
- verifying a Supabase access token: HS256, and ES256 with the JWKS already cached;
- a password-reset request for a known vs. an unknown address with a real SMTP server
  (aiosmtpd on loopback): the mail goes out from a worker thread, so both answer alike.

    uv run python benchmarks/bench_auth.py        # ROUNDS=15 FAST_ROUNDS=400
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.pop("REDIS_URL", None)

import jwt  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from jwt.algorithms import ECAlgorithm  # noqa: E402
from sqlmodel import Session  # noqa: E402

from promptrepo.db import build_engine, migrate  # noqa: E402
from promptrepo.models import Profile  # noqa: E402
from promptrepo.services import auth, passwords, sessions, supabase_tokens  # noqa: E402
from promptrepo.services.errors import NotAuthenticated  # noqa: E402
from promptrepo.settings import settings  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "15"))
FAST_ROUNDS = int(os.environ.get("FAST_ROUNDS", "400"))
PASSWORD = "correct horse battery"


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def interleaved_ms(cases: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Medians of several cases run in turn each round, so a busy machine biases none."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for fn in cases.values():
        fn()  # warm up
    for i in range(rounds):
        names = list(cases)
        names = names[i % len(names) :] + names[: i % len(names)]
        for name in names:
            start = time.perf_counter()
            cases[name]()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def row(label: str, value_ms: float, note: str = "") -> None:
    shown = f"{value_ms:8.2f} ms" if value_ms >= 1 else f"{value_ms * 1000:8.1f} µs"
    print(f"  {label:<52}{shown}  {note}")


def failing(fn: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        with contextlib.suppress(NotAuthenticated):
            fn()

    return run


def bench_database(name: str, url: str) -> None:
    engine = build_engine(url, pool_size=2)
    print(f"\n== {name}")
    with Session(engine, expire_on_commit=False) as session:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        principal, token = auth.sign_up(session, email=email, password=PASSWORD, name="Bench")
        session.commit()

        def sign_in_ok() -> None:
            auth.sign_in(session, email=email, password=PASSWORD)
            session.rollback()  # do not pile up sessions

        timings = interleaved_ms(
            {
                "right": sign_in_ok,
                "wrong": failing(
                    lambda: auth.sign_in(session, email=email, password="wrong password")
                ),
                "unknown": failing(
                    lambda: auth.sign_in(session, email="nobody@example.com", password=PASSWORD)
                ),
            },
            ROUNDS,
        )
        right, wrong, unknown = timings["right"], timings["wrong"], timings["unknown"]
        row("sign-in, right password", right)
        row("sign-in, wrong password", wrong)
        row("sign-in, unknown e-mail", unknown, f"(unknown/wrong = {unknown / wrong:.2f})")

        resolve = median_ms(lambda: sessions.resolve_session(session, token), FAST_ROUNDS)
        baseline = median_ms(
            lambda: (session.get(Profile, principal.user_id), session.expire_all()), FAST_ROUNDS
        )
        row("resolve a prs_ session token", resolve, f"({resolve / baseline:.2f}× baseline)")
        row("baseline: primary-key lookup of the profile", baseline)
    engine.dispose()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        return "250 OK"


def bench_supabase_and_reset() -> None:
    print("\n== Supabase tokens and reset requests")
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k", "alg": "ES256"}
    import json

    body = json.dumps({"keys": [jwk]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.supabase_url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.supabase_jwt_secret = "bench-secret-bench-secret-bench-secret-!!"
    claims = {
        "sub": "u",
        "aud": "authenticated",
        "iss": supabase_tokens.issuer(),
        "exp": int(time.time()) + 3600,
    }
    hs = jwt.encode(claims, settings.supabase_jwt_secret, algorithm="HS256")
    es = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k"})
    row(
        "verify HS256 access token",
        median_ms(lambda: supabase_tokens.verify_access_token(hs), FAST_ROUNDS),
    )
    row(
        "verify ES256 access token (JWKS cached)",
        median_ms(lambda: supabase_tokens.verify_access_token(es), FAST_ROUNDS),
    )
    server.shutdown()

    controller = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = controller.port
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/reset.db"
        migrate(url)
        engine = build_engine(url)
        with Session(engine) as session:
            email = "known@example.com"
            auth.sign_up(session, email=email, password=PASSWORD, name="Known")
            session.commit()
            timings = interleaved_ms(
                {
                    "known": lambda: auth.request_password_reset(session, email),
                    "unknown": lambda: auth.request_password_reset(session, "unknown@example.com"),
                },
                ROUNDS * 4,
            )
            known, unknown = timings["known"], timings["unknown"]
            time.sleep(1)  # let the worker threads hand the last mails to the SMTP server
            session.rollback()
        engine.dispose()
    controller.stop()
    row("reset request, known address (SMTP in a thread)", known)
    row("reset request, unknown address", unknown, f"(known/unknown = {known / unknown:.2f})")


def main() -> None:
    settings.login_rate_limit = "1000000/minute"  # measure the work, not the throttle
    settings.password_reset_email_rate_limit = "1000000/hour"
    print(f"argon2id (pwdlib), {ROUNDS} rounds; fast paths {FAST_ROUNDS} rounds; medians")
    hashed = passwords.hash_password(PASSWORD)
    row("hash a password", median_ms(lambda: passwords.hash_password(PASSWORD), ROUNDS))
    row("verify a password", median_ms(lambda: passwords.verify_password(PASSWORD, hashed), ROUNDS))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        bench_database("SQLite", url)
    pg_admin = os.environ.get(
        "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    try:
        from sqlalchemy import text

        admin = build_engine(pg_admin, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"\n(PostgreSQL skipped: {exc.__class__.__name__})")
    else:
        url = pg_admin.rsplit("/", 1)[0] + f"/{name}"
        try:
            migrate(url)
            bench_database("PostgreSQL", url)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    bench_supabase_and_reset()


if __name__ == "__main__":
    main()
