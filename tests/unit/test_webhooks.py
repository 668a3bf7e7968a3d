"""Signed webhooks: queued with the change, signed per Standard Webhooks, retried, durable.

Receivers are real HTTP servers on loopback that verify every signature with the
`standardwebhooks` package (the customer's side of the protocol); WEBHOOK_ALLOW_PRIVATE is on
for them, as it must be for any loopback receiver.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import Session, select
from standardwebhooks import Webhook as Verifier

from promptrepo.models import WebhookDelivery
from promptrepo.services import projects, prompts, segments, versions, webhooks
from promptrepo.services.errors import ValidationFailed
from promptrepo.settings import settings
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """Answers 500 to the first `failures` requests, then 204; verifies each signature."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[dict] = []
        self.secret: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                Verifier(receiver.secret).verify(body, headers)  # raises on a bad signature
                failed = len(receiver.requests) < receiver.failures
                receiver.requests.append(
                    {"id": headers["webhook-id"], "body": json.loads(body), "failed": failed}
                )
                self.send_response(500 if failed else 204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def successes(self) -> list[dict]:
        return [r for r in self.requests if not r["failed"]]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhook_allow_private", True)
    monkeypatch.setattr(settings, "webhook_retry_delays", [0.2])


def _prompt(session: Session, owner):
    project = projects.create_project(session, owner, name="Hooks")
    segment = segments.create_segment(session, owner, project.id, name="s")
    prompt = prompts.create_prompt(session, owner, segment.id, name="p", content="Hello")
    session.commit()
    return project, prompt


def _hook(session: Session, owner, project, receiver: Receiver, events=None):
    hook, secret = webhooks.create_webhook(
        session, owner, project.id, url=receiver.url, events=events or ["label.moved"]
    )
    session.commit()
    receiver.secret = secret
    assert secret.startswith("whsec_")
    return hook


def _deliver_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "deliveries did not settle"
        webhooks.deliver_due()
        time.sleep(0.05)


def test_a_receiver_that_fails_three_times_gets_the_event_exactly_once_more(
    session: Session, use_engine, allow_private
) -> None:
    owner = make_user(session)
    project, prompt = _prompt(session, owner)
    receiver = Receiver(failures=3)
    try:
        _hook(session, owner, project, receiver, events=["label.moved", "version.created"])
        versions.create_version(session, owner, prompt.id, commit_message="one")
        versions.set_label(session, owner, prompt.id, "production", 1)
        session.commit()
        _deliver_until(lambda: len(receiver.successes) == 2)
        time.sleep(0.5)
        webhooks.deliver_due()  # nothing left: no extra request
        assert len(receiver.successes) == 2
        moved = [r for r in receiver.requests if r["body"]["type"] == "label.moved"]
        created = [r for r in receiver.requests if r["body"]["type"] == "version.created"]
        # the first three attempts failed (whichever event they carried); retries keep the id
        assert len(receiver.requests) == 5
        assert len({r["id"] for r in moved}) == 1 and len({r["id"] for r in created}) == 1
        assert moved[-1]["body"]["data"]["label"] == "production"
        assert moved[-1]["body"]["data"]["version"] == 1
        assert moved[-1]["body"]["data"]["project_id"] == str(project.id)
        rows = session.exec(select(WebhookDelivery)).all()
        assert {r.status for r in rows} == {"delivered"}
        assert sum(r.attempts for r in rows) == 5
        assert {r.response_code for r in rows} == {204}
    finally:
        receiver.close()


def test_rolled_back_changes_and_unsubscribed_events_send_nothing(
    session: Session, use_engine, allow_private
) -> None:
    owner = make_user(session)
    project, prompt = _prompt(session, owner)
    receiver = Receiver()
    try:
        _hook(session, owner, project, receiver, events=["prompt.deleted"])
        versions.create_version(session, owner, prompt.id, commit_message="one")
        session.commit()
        versions.set_label(session, owner, prompt.id, "staging", 1)
        session.rollback()
        webhooks.deliver_due()
        assert receiver.requests == []
        prompts.delete_prompt(session, owner, prompt.id)
        session.commit()
        _deliver_until(lambda: len(receiver.successes) == 1)
        assert receiver.requests[0]["body"]["type"] == "prompt.deleted"
        assert receiver.requests[0]["body"]["data"]["name"] == "p"
    finally:
        receiver.close()


def test_private_addresses_are_refused_unless_allowed(session: Session, use_engine) -> None:
    owner = make_user(session)
    project, _ = _prompt(session, owner)
    for url in (
        "http://127.0.0.1:9/h",
        "http://localhost/h",
        "http://10.1.2.3/h",
        "http://169.254.169.254/latest",
        "http://[::1]/h",
    ):
        with pytest.raises(ValidationFailed) as refused:
            webhooks.create_webhook(session, owner, project.id, url=url, events=["label.moved"])
        assert "private, loopback or link-local" in refused.value.message
    with pytest.raises(ValidationFailed):
        webhooks.create_webhook(session, owner, project.id, url="ftp://x/", events=["label.moved"])
    with pytest.raises(ValidationFailed):
        webhooks.create_webhook(
            session, owner, project.id, url="http://127.0.0.1/h", events=["nope"]
        )
    assert webhooks.check_url("http://127.0.0.1:9/h", allow_private=True)


def test_redeliver_sends_the_same_message_again(
    session: Session, use_engine, allow_private
) -> None:
    owner = make_user(session)
    project, prompt = _prompt(session, owner)
    receiver = Receiver()
    try:
        _hook(session, owner, project, receiver)
        versions.create_version(session, owner, prompt.id, commit_message="one")
        versions.set_label(session, owner, prompt.id, "staging", 1)
        session.commit()
        _deliver_until(lambda: len(receiver.successes) == 1)
        (first,) = webhooks.list_deliveries(session, owner, project.id).items
        webhooks.redeliver(session, owner, first.id)
        session.commit()
        _deliver_until(lambda: len(receiver.successes) == 2)
        assert receiver.requests[0]["id"] == receiver.requests[1]["id"]
        assert webhooks.list_deliveries(session, owner, project.id).total == 2
        outsider = make_user(session)
        with pytest.raises(Exception) as hidden:
            webhooks.redeliver(session, outsider, first.id)
        assert getattr(hidden.value, "status_code", None) == 404
    finally:
        receiver.close()


def _attempts(engine) -> int | None:
    with Session(engine) as fresh:
        row = fresh.exec(select(WebhookDelivery)).first()
        return row.attempts if row else None


WORKER = """
import asyncio, sys
from promptrepo.services import webhooks
asyncio.run(webhooks.run_worker())
"""


def test_a_restart_mid_retry_loses_no_delivery(
    session: Session, engine, use_engine, allow_private, tmp_path: Path
) -> None:
    """A worker process is killed while the delivery waits for its retry; a new process
    (as after a restart of the app) delivers it, once."""
    owner = make_user(session)
    project, prompt = _prompt(session, owner)
    receiver = Receiver(failures=1)
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "WEBHOOK_RETRY_DELAYS": "[2]",
        "WEBHOOK_POLL_SECONDS": "0.2",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }

    def start_worker() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=ROOT, env=env, start_new_session=True
        )

    try:
        _hook(session, owner, project, receiver)
        worker = start_worker()
        versions.create_version(session, owner, prompt.id, commit_message="one")
        versions.set_label(session, owner, prompt.id, "production", 1)
        session.commit()
        deadline = time.monotonic() + 60
        # the first attempt fails and is recorded; the retry is 2 s away: kill the worker now
        while _attempts(engine) != 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        row = session.exec(select(WebhookDelivery)).one()
        session.refresh(row)
        assert row.status == "pending" and row.attempts == 1
        worker = start_worker()
        deadline = time.monotonic() + 60  # a fresh interpreter starts slowly on a busy machine
        try:
            while not receiver.successes:
                assert time.monotonic() < deadline, "the new worker did not deliver"
                time.sleep(0.05)
            time.sleep(1)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(10)
        assert len(receiver.successes) == 1 and len(receiver.requests) == 2
        session.refresh(row)
        assert row.status == "delivered" and row.attempts == 2
    finally:
        receiver.close()
