"""What happens after a project's content changes: caches drop it, open views hear of it.

Services call `project_changed(session, project)` in the transaction that makes the change;
the cache invalidation and the notification run only once that transaction commits, so no
view or API client ever sees a change that was rolled back.
"""

from __future__ import annotations

import uuid

from sqlalchemy import event
from sqlmodel import Session

from promptrepo.models import Project, utcnow
from promptrepo.observability import get_logger
from promptrepo.services import cache, events

log = get_logger(__name__)
_PENDING_KEY = "promptrepo_changed_projects"


def project_topic(project_id: uuid.UUID | str) -> str:
    return f"project:{project_id}"


def user_topic(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def project_changed(
    session: Session, project: Project, *, kind: str = "updated", touch: bool = True
) -> None:
    """Mark `project` as changed now; notify and invalidate after commit (once per transaction).

    `touch=False` notifies without moving `updated_at` (e.g. someone else forked it).
    """
    if touch and kind != "deleted":
        project.updated_at = utcnow()
        session.add(project)
    pending: dict[str, tuple[str, str]] = session.info.setdefault(_PENDING_KEY, {})
    # Listen once per session for its whole life: a `once=True` listener stays registered
    # after firing, so listening again for the session's next transaction was a no-op and
    # every change after the first commit went unannounced.
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    pending[str(project.id)] = (str(project.user_id), kind)


def _after_commit(session: Session) -> None:
    pending: dict[str, tuple[str, str]] = session.info.pop(_PENDING_KEY, {})
    for project_id, (owner_id, kind) in pending.items():
        try:
            cache.invalidate_project(project_id)
            message = {"project_id": project_id, "kind": kind}
            events.publish(project_topic(project_id), message)
            events.publish(user_topic(owner_id), message)
        except Exception:  # a notification failure must not fail the committed change
            log.exception("project_change_notification_failed", project_id=project_id)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
