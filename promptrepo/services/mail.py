"""Outgoing e-mail: SMTP when SMTP_HOST is set, otherwise the message goes to the log."""

from __future__ import annotations

import smtplib
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import make_msgid

from promptrepo.observability import get_logger
from promptrepo.settings import settings

log = get_logger(__name__)
_outbox = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="promptrepo.local")
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str, *, log_fields: dict | None = None) -> bool:
    """Send a plain-text mail; returns True when handed to SMTP, False when only logged.

    Without SMTP_HOST (development) the message is logged with `log_fields` (e.g. the link),
    so a developer can follow it.
    """
    if not settings.smtp_host:
        log.info("mail_not_sent_no_smtp", to=to, subject=subject, body=body, **(log_fields or {}))
        return False
    message = build_message(to, subject, body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)
    log.info("mail_sent", to=to, subject=subject)
    return True


def _send_logging_errors(to: str, subject: str, body: str, log_fields: dict | None) -> bool:
    try:
        return send_mail(to, subject, body, log_fields=log_fields)
    except Exception as exc:  # nobody waits for this answer: log it
        log.error("mail_failed", to=to, subject=subject, error=str(exc))
        return False


def send_mail_soon(to: str, subject: str, body: str, *, log_fields: dict | None = None) -> Future:
    """Send in a worker thread, so the caller answers in the same time whether or not a mail
    goes out (a password-reset request must not reveal which addresses have accounts)."""
    if not settings.smtp_host:  # only a log line: as quick as not sending at all
        done: Future = Future()
        done.set_result(send_mail(to, subject, body, log_fields=log_fields))
        return done
    return _outbox.submit(_send_logging_errors, to, subject, body, log_fields)


def queue_nothing() -> Future:
    """Queue an empty job: the decoy that keeps a no-mail answer as slow as a mail answer."""
    if not settings.smtp_host:
        done: Future = Future()
        done.set_result(False)
        return done
    return _outbox.submit(lambda: False)
