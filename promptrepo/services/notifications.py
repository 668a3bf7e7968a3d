"""In-app notifications: one line in a person's bell (what happened, where to look), and an
e-mail when SMTP is configured (logged otherwise, like reset links).

`notify` is the one way in, for any feature that tells a project's people something (release
proposals and their decisions today; mentions in comments can call it the same way). It adds
the rows in the caller's transaction and, once that commits, mails each recipient and
publishes on their `notifications:<user>` topic, which the navbar's bell follows.
Each person reads, marks read and deletes only their own (row-level security, migration 0019).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select

from promptrepo import db
from promptrepo.models import Notification, Project, utcnow
from promptrepo.services import events, mail
from promptrepo.services.errors import NotFound
from promptrepo.services.principal import Principal, require_user
from promptrepo.settings import settings

PAGE_SIZE = 20


def topic(user_id: uuid.UUID | str) -> str:
    """The fan-out topic a person's bell follows."""
    return f"notifications:{user_id}"


@dataclass
class NotificationView:
    id: str
    kind: str
    text: str
    link: str
    read: bool
    created_at: datetime

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "link": self.link,
            "read": self.read,
            "created_at": self.created_at.isoformat(),
        }


@dataclass
class NotificationPage:
    items: list[NotificationView]
    unread: int


def _emails(session: Session, project: Project) -> dict[uuid.UUID, str]:
    from promptrepo.services import members  # members imports much; only needed here

    return {user_id: email for user_id, (_, email) in members._people(session, project).items()}


def notify(
    session: Session,
    actor: Principal,
    project: Project,
    user_ids: Iterable[uuid.UUID | str],
    *,
    kind: str,
    text: str,
    link: str = "",
    subject: str = "",
) -> int:
    """Tell each of `user_ids` who is one of `project`'s people (the owner or a member; the
    actor is skipped) `text`, with a link to where it happened. Mails them after commit when
    `subject` is given. Returns how many were notified."""
    people = _emails(session, project)
    recipients = []
    for user_id in user_ids:
        uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
        if uid != actor.user_id and uid in people and uid not in recipients:
            recipients.append(uid)
    if not recipients:
        return 0
    text = text[:500]
    for uid in recipients:
        session.add(
            Notification(
                user_id=uid,
                project_id=project.id,
                kind=kind[:40],
                text=text,
                link=link[:500],
                actor_id=actor.user_id,
            )
        )
    session.flush()
    addresses = people if subject else {}
    url = settings.public_url.rstrip("/") + link if link else ""

    def after() -> None:
        for uid in recipients:
            events.publish(topic(uid), {"kind": kind})
            address = addresses.get(uid)
            if address:
                body = f"{text}\n\n{url}" if url else text
                mail.send_mail_soon(address, subject, body, log_fields={"link": url})

    db.after_commit(session, after)
    return len(recipients)


def list_notifications(
    session: Session, principal: Principal | None, *, limit: int = PAGE_SIZE
) -> NotificationPage:
    """The person's newest notifications and how many are unread."""
    principal = require_user(principal)
    rows = session.exec(
        select(Notification)
        .where(Notification.user_id == principal.user_id)
        .order_by(Notification.created_at.desc(), Notification.id)
        .limit(max(1, min(limit, 100)))
    ).all()
    return NotificationPage(
        items=[
            NotificationView(
                id=str(n.id),
                kind=n.kind,
                text=n.text,
                link=n.link,
                read=n.read_at is not None,
                created_at=n.created_at,
            )
            for n in rows
        ],
        unread=unread_count(session, principal),
    )


def unread_count(session: Session, principal: Principal | None) -> int:
    principal = require_user(principal)
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    ).one()


def mark_read(
    session: Session, principal: Principal | None, notification_id: uuid.UUID | str | None = None
) -> int:
    """Mark one notification read (or, without an id, all of the person's). Another
    person's notification is "not found". Returns how many changed."""
    principal = require_user(principal)
    query = sa.update(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        try:
            nid = uuid.UUID(str(notification_id))
        except ValueError:
            raise NotFound("Notification not found.") from None
        row = session.get(Notification, nid)
        if row is None or row.user_id != principal.user_id:
            raise NotFound("Notification not found.")
        query = query.where(Notification.id == nid)
    changed = session.execute(query.values(read_at=utcnow())).rowcount
    session.flush()
    return changed
