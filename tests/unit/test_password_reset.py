"""Password reset by e-mail: a real SMTP server on loopback (aiosmtpd) receives the link."""

from __future__ import annotations

import email
import re
import socket
import time
import uuid
from collections.abc import Iterator
from email.message import Message
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from itsdangerous import TimestampSigner
from sqlmodel import Session

from promptrepo.services import auth, mail, password_reset
from promptrepo.services.errors import NotAuthenticated, ValidationFailed
from promptrepo.settings import settings
from tests.factories import make_user

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 5) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    monkeypatch.setattr(settings, "smtp_starttls", False)
    monkeypatch.setattr(settings, "smtp_username", None)
    monkeypatch.setattr(settings, "public_url", "https://promptrepo.example")
    yield inbox
    controller.stop()


def signed_up(session: Session):
    address = f"reset-{uuid.uuid4().hex[:8]}@example.com"
    principal, token = auth.sign_up(session, email=address, password=PASSWORD, name="Rita")
    session.commit()
    return principal, token


def token_from(message: Message) -> str:
    body = message.get_payload(decode=True).decode()
    link = re.search(r"https://promptrepo\.example/reset-password\?token=\S+", body).group(0)
    return parse_qs(urlsplit(link).query)["token"][0]


def test_reset_link_arrives_by_smtp_and_sets_a_new_password(session: Session, smtp: Inbox) -> None:
    principal, old_session = signed_up(session)
    answer = auth.request_password_reset(session, principal.email.upper())
    session.commit()
    [message] = smtp.wait_for(1)
    assert message["To"] == principal.email
    assert message["Subject"] == "Reset your PromptRepo password"
    assert message["X-Envelope-To"] == principal.email
    assert "expires in 60 minutes" in answer

    auth.reset_password(session, token_from(message), NEW_PASSWORD)
    session.commit()
    assert auth.principal_from_token(session, old_session) is None  # every session logged out
    with pytest.raises(NotAuthenticated):
        auth.sign_in(session, email=principal.email, password=PASSWORD)
    assert auth.sign_in(session, email=principal.email, password=NEW_PASSWORD)[0] == principal


def test_reset_request_answers_the_same_for_unknown_addresses(
    session: Session, smtp: Inbox
) -> None:
    principal, _ = signed_up(session)
    known = auth.request_password_reset(session, principal.email)
    unknown = auth.request_password_reset(session, "nobody-here@example.com")
    assert known == unknown
    messages = smtp.wait_for(2, timeout=1)
    assert [m["To"] for m in messages] == [principal.email]


def test_reset_link_works_only_once(session: Session, smtp: Inbox) -> None:
    principal, _ = signed_up(session)
    auth.request_password_reset(session, principal.email)
    token = token_from(smtp.wait_for(1)[0])
    auth.reset_password(session, token, NEW_PASSWORD)
    session.commit()
    with pytest.raises(ValidationFailed, match="already been used"):
        auth.reset_password(session, token, "yet another passphrase")


def test_reset_link_expires(session: Session, smtp: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    principal, _ = signed_up(session)
    auth.request_password_reset(session, principal.email)
    token = token_from(smtp.wait_for(1)[0])
    later = int(time.time()) + settings.password_reset_ttl_seconds + 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    with pytest.raises(ValidationFailed, match="expired"):
        auth.reset_password(session, token, NEW_PASSWORD)


def test_tampered_or_foreign_reset_links_are_refused(session: Session, smtp: Inbox) -> None:
    principal, _ = signed_up(session)
    auth.request_password_reset(session, principal.email)
    token = token_from(smtp.wait_for(1)[0])
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", ""):
        with pytest.raises(ValidationFailed, match="not valid"):
            auth.reset_password(session, bad, NEW_PASSWORD)
    forged = password_reset.URLSafeTimedSerializer("another-secret", salt=password_reset.SALT)
    with pytest.raises(ValidationFailed, match="not valid"):
        auth.reset_password(
            session, forged.dumps({"uid": str(principal.user_id), "fp": "x"}), NEW_PASSWORD
        )


def test_reset_refuses_a_bad_new_password_and_keeps_the_link_usable(
    session: Session, smtp: Inbox
) -> None:
    principal, _ = signed_up(session)
    auth.request_password_reset(session, principal.email)
    token = token_from(smtp.wait_for(1)[0])
    with pytest.raises(ValidationFailed, match="at least 8"):
        auth.reset_password(session, token, "short")
    auth.reset_password(session, token, NEW_PASSWORD)


def test_without_smtp_the_link_is_written_to_the_log(
    session: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(settings, "smtp_host", None)
    user = make_user(session, email=f"log-{uuid.uuid4().hex[:6]}@example.com")
    session.commit()
    auth.request_password_reset(session, user.email)
    out = capsys.readouterr().out
    assert "reset_link" in out and "/reset-password?token=" in out
    assert PASSWORD not in out


def test_send_mail_uses_smtp_when_configured(smtp: Inbox) -> None:
    assert mail.send_mail("someone@example.com", "Hello", "Body text") is True
    [message] = smtp.wait_for(1)
    assert message["From"] == settings.mail_from
    assert message.get_payload(decode=True).decode().strip() == "Body text"


def test_a_reset_revokes_every_api_key_and_session(session: Session, smtp: Inbox) -> None:
    """Keys an intruder made with the old password stop working once the owner resets it."""
    from promptrepo.services import api_keys

    principal, old_session = signed_up(session)
    _, intruders_key = api_keys.create_api_key(session, principal, name="intruder", scope="write")
    _, own_key = api_keys.create_api_key(session, principal, name="mine", scope="read")
    session.commit()
    assert api_keys.principal_from_api_key(session, intruders_key) is not None
    auth.request_password_reset(session, principal.email)
    session.commit()
    [message] = smtp.wait_for(1)
    auth.reset_password(session, token_from(message), NEW_PASSWORD)
    session.commit()
    assert api_keys.principal_from_api_key(session, intruders_key) is None
    assert api_keys.principal_from_api_key(session, own_key) is None
    assert auth.principal_from_token(session, old_session) is None
    assert api_keys.list_api_keys(session, principal) == []
