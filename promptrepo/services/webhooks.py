"""Signed webhooks: a project's endpoints get `version.created`, `label.moved` and
`prompt.deleted`, signed per the Standard Webhooks spec (`standardwebhooks`: headers
`webhook-id`, `webhook-timestamp`, `webhook-signature`).

Durable: `enqueue` writes one `webhook_deliveries` row per endpoint in the transaction that
makes the change (changes.prompt_event), so an event exists exactly when its change committed,
and survives restarts. Workers (`run_worker`, one per server process) claim due rows one by
one with a conditional UPDATE (a lease: a claimed row is due again only if its worker died
mid-send), POST them, and record the answer; a failure is retried after 5 s, 5 min, 30 min,
2 h, 5 h, 10 h... until 24 h after the event, then marked failed. Every attempt's response
code stays in the log the project's settings show, with "redeliver".

URLs resolving to private, loopback or link-local addresses are refused (when saved and again
when sent, against DNS rebinding) unless WEBHOOK_ALLOW_PRIVATE=true.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import Session, func, select
from standardwebhooks import Webhook as Signer

from promptrepo.db import after_commit, system_scope
from promptrepo.models import Webhook, WebhookDelivery, utcnow
from promptrepo.models.webhooks import WEBHOOK_EVENTS
from promptrepo.observability import get_logger
from promptrepo.services import access, audit
from promptrepo.services.errors import NotFound, ValidationFailed
from promptrepo.services.principal import Principal
from promptrepo.settings import settings

log = get_logger(__name__)

MAX_WEBHOOKS_PER_PROJECT = 10
MAX_PAGE_SIZE = 100
LEASE_SECONDS = 120  # a claimed delivery is due again if its worker died mid-send
CLAIM_BATCH = 20
WAKE_TOPIC = "webhooks-due"


# --------------------------------------------------------------------------- endpoints
def check_url(url: str, *, allow_private: bool | None = None) -> str:
    """An http(s) URL whose host resolves only to public addresses (unless allowed)."""
    allow_private = settings.webhook_allow_private if allow_private is None else allow_private
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or len(url) > 2000:
        raise _bad_url("Use an http:// or https:// URL with a host name (at most 2000 characters).")
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise _bad_url(f"The host {parsed.hostname!r} does not resolve.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise _bad_url(
                f"{parsed.hostname} resolves to {address}, a private, loopback or link-local "
                "address: webhooks go to public addresses only."
            )
    return url


def _bad_url(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"loc": ["url"], "msg": message}])


def _check_events(events: list[str]) -> list[str]:
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if not events or unknown:
        message = f"Choose events among {', '.join(WEBHOOK_EVENTS)}" + (
            f" (unknown: {', '.join(map(str, unknown))})." if unknown else "."
        )
        raise ValidationFailed(message, errors=[{"loc": ["events"], "msg": message}])
    return events


def create_webhook(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    url: str,
    events: list[str],
) -> tuple[Webhook, str]:
    """Add an endpoint to the principal's project; returns it and its signing secret."""
    project = access.get_project(session, principal, project_id, need="manage")
    assert principal is not None
    url = check_url(url)
    events = _check_events(events)
    count = session.exec(
        select(func.count()).select_from(Webhook).where(Webhook.project_id == project.id)
    ).one()
    if count >= MAX_WEBHOOKS_PER_PROJECT:
        raise ValidationFailed(
            f"A project has at most {MAX_WEBHOOKS_PER_PROJECT} webhooks; delete one first."
        )
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    hook = Webhook(project_id=project.id, url=url, events=events, secret=secret)
    session.add(hook)
    session.flush()
    audit.record(session, principal.user_id, "webhook.created", "project", project.id, url=url)
    return hook, secret


def list_webhooks(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> list[Webhook]:
    project = access.get_project(session, principal, project_id, need="manage")
    return list(
        session.exec(
            select(Webhook).where(Webhook.project_id == project.id).order_by(Webhook.created_at)
        ).all()
    )


def _own_webhook(session: Session, principal: Principal | None, webhook_id) -> Webhook:
    try:
        hook = session.get(Webhook, uuid.UUID(str(webhook_id)))
    except ValueError:
        hook = None
    if hook is None:
        raise NotFound("Webhook not found.")
    try:
        access.get_project(session, principal, hook.project_id, need="manage")
    except Exception:
        raise NotFound("Webhook not found.") from None
    return hook


def delete_webhook(session: Session, principal: Principal | None, webhook_id) -> None:
    hook = _own_webhook(session, principal, webhook_id)
    session.delete(hook)
    session.flush()


@dataclass
class DeliveryPage:
    items: list[WebhookDelivery]
    total: int


def list_deliveries(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    *,
    offset: int = 0,
    limit: int = 20,
) -> DeliveryPage:
    """The project's delivery log, newest first."""
    project = access.get_project(session, principal, project_id, need="manage")
    where = WebhookDelivery.project_id == project.id
    total = session.exec(select(func.count()).select_from(WebhookDelivery).where(where)).one()
    rows = session.exec(
        select(WebhookDelivery)
        .where(where)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .offset(max(0, offset))
        .limit(max(1, min(MAX_PAGE_SIZE, limit)))
    ).all()
    return DeliveryPage(list(rows), total)


def redeliver(session: Session, principal: Principal | None, delivery_id) -> WebhookDelivery:
    """Send a delivery's event again now (a new log entry with the same `webhook-id`)."""
    try:
        original = session.get(WebhookDelivery, uuid.UUID(str(delivery_id)))
    except ValueError:
        original = None
    if original is None:
        raise NotFound("Delivery not found.")
    _own_webhook(session, principal, original.webhook_id)
    copy = WebhookDelivery(
        webhook_id=original.webhook_id,
        project_id=original.project_id,
        message_id=original.message_id,
        event_type=original.event_type,
        payload=original.payload,
    )
    session.add(copy)
    session.flush()
    after_commit(session, wake_workers)
    return copy


# --------------------------------------------------------------------------- the queue
def enqueue(session: Session, project_id: uuid.UUID, event: dict[str, Any]) -> int:
    """Queue `event` for every endpoint of the project subscribed to its type, in the
    caller's transaction. Returns how many deliveries were queued.

    On PostgreSQL through `app_enqueue_webhooks` (migration 0018): an editor's change queues
    the owner's deliveries, though an editor may not read the endpoints."""
    payload = {
        "type": event["type"],
        "timestamp": event["timestamp"],
        "data": {"project_id": event["project_id"], **event["data"]},
    }
    if session.get_bind().dialect.name == "postgresql":
        queued = session.execute(
            sa.text("SELECT app_enqueue_webhooks(:pid, :kind, CAST(:body AS jsonb))"),
            {"pid": project_id, "kind": event["type"], "body": json.dumps(payload)},
        ).scalar_one()
        if queued:
            after_commit(session, wake_workers)
        return queued
    hooks = session.exec(
        select(Webhook).where(Webhook.project_id == project_id, Webhook.disabled_at.is_(None))
    ).all()
    queued = 0
    for hook in hooks:
        if event["type"] not in (hook.events or []):
            continue
        session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                project_id=project_id,
                message_id="msg_" + uuid.uuid4().hex,
                event_type=event["type"],
                payload=payload,
            )
        )
        queued += 1
    if queued:
        after_commit(session, wake_workers)
    return queued


def next_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt."""
    delays = settings.webhook_retry_delays or [60.0]
    return float(delays[min(attempts - 1, len(delays) - 1)])


def _claim_due(limit: int = CLAIM_BATCH) -> list[tuple[WebhookDelivery, Webhook]]:
    """Take due deliveries for this worker: each row by a conditional UPDATE that only one
    worker can win, pushing its due time LEASE_SECONDS ahead while it is being sent."""
    now = utcnow()
    claimed: list[tuple[WebhookDelivery, Webhook]] = []
    with system_scope("webhooks") as session:
        candidates = session.exec(
            select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        ).all()
        won_ids = []
        for delivery_id, due in candidates:
            won = session.exec(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at == due,
                )
                .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
            ).rowcount
            if won:
                won_ids.append(delivery_id)
        session.commit()
        for delivery_id in won_ids:
            delivery = session.get(WebhookDelivery, delivery_id)
            hook = session.get(Webhook, delivery.webhook_id) if delivery else None
            if delivery is not None and hook is not None:
                claimed.append((delivery, hook))
    return claimed


def sign(hook: Webhook, delivery: WebhookDelivery, body: str, when: datetime) -> dict[str, str]:
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Signer(hook.secret).sign(delivery.message_id, when, body),
        "content-type": "application/json",
        "user-agent": "PromptRepo-Webhooks/1",
    }


def _attempt(delivery: WebhookDelivery, hook: Webhook, client: httpx.Client) -> None:
    """Send one delivery and record the outcome (delivered, retry later, or failed)."""
    now = utcnow()
    body = json.dumps(delivery.payload, separators=(",", ":"))
    code: int | None = None
    error: str | None = None
    try:
        check_url(hook.url)  # again at send time: the name may resolve elsewhere now
        response = client.post(hook.url, content=body, headers=sign(hook, delivery, body, now))
        code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except ValidationFailed as exc:
        error = exc.message
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "response_code": code,
        "last_error": error,
    }
    if error is None:
        values.update(status="delivered", delivered_at=now)
    else:
        retry_at = now + timedelta(seconds=next_delay(attempts))
        expires_at = delivery.created_at + timedelta(seconds=settings.webhook_retry_window_seconds)
        if retry_at > expires_at:
            values.update(status="failed")
        else:
            values.update(next_attempt_at=retry_at)
    with system_scope("webhooks") as session:
        session.exec(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(**values)
        )
    log.info(
        "webhook_attempt",
        delivery_id=str(delivery.id),
        event_type=delivery.event_type,
        attempt=attempts,
        response_code=code,
        error=error,
    )


def deliver_due() -> int:
    """Claim and send every due delivery (blocking; the worker runs it in a thread)."""
    sent = 0
    with httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False) as client:
        while True:
            batch = _claim_due()
            if not batch:
                return sent
            for delivery, hook in batch:
                _attempt(delivery, hook, client)
                sent += 1


# --------------------------------------------------------------------------- the worker
def wake_workers() -> None:
    """After a commit that queued deliveries: every worker (this process's too, through the
    fan-out) looks at once instead of at its next poll."""
    try:
        from promptrepo.services import events

        events.publish(WAKE_TOPIC, {})
    except Exception:  # the poll finds the rows anyway
        log.exception("webhook_wake_failed")


async def run_worker() -> None:
    """Deliver due webhooks until cancelled: every WEBHOOK_POLL_SECONDS, and at once when an
    event is queued."""
    import anyio

    from promptrepo.services import events

    wake = asyncio.Event()

    async def listen() -> None:
        async for _ in events.subscribe([WAKE_TOPIC]):
            wake.set()

    listener = asyncio.get_running_loop().create_task(listen())
    try:
        while True:
            wake.clear()
            try:
                await anyio.to_thread.run_sync(deliver_due)
            except Exception:
                log.exception("webhook_worker_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), settings.webhook_poll_seconds)
    finally:
        listener.cancel()
