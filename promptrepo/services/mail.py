"""Outgoing e-mail: SMTP when SMTP_HOST is set, otherwise the message goes to the log."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from promptrepo.observability import get_logger
from promptrepo.settings import settings

log = get_logger(__name__)


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
