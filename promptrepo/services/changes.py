"""What happens after a project's content changes: caches drop it, open views hear of it.

Services call `project_changed(session, project)` in the transaction that makes the change;
the cache invalidation and the notification run only once that transaction commits, so no
view or API client ever sees a change that was rolled back.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, select

from promptrepo.models import Project, ProjectMember, utcnow
from promptrepo.observability import get_logger
from promptrepo.services import cache, events, recent_changes

log = get_logger(__name__)
_PENDING_KEY = "promptrepo_changed_projects"
# Draft saves (autosave, every pause in typing) move a project's `updated_at`, which orders
# "recently updated" lists, at most this often: a project being edited is at the top already,
# and its row is not rewritten every few seconds (a statement and a dead row version a save).
DRAFT_TOUCH_SECONDS = 60


def project_topic(project_id: uuid.UUID | str) -> str:
    return f"project:{project_id}"


def user_topic(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def team_ids(session: Session, project: Project) -> list[str]:
    """The owner's id, then the members' (whose dashboards and MCP sessions hear changes)."""
    with session.no_autoflush:  # called mid-change: flush when the caller does
        members = session.exec(
            select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)
        ).all()
    return [str(project.user_id), *(str(m) for m in members)]


def project_changed(
    session: Session,
    project: Project,
    *,
    kind: str = "updated",
    touch: bool = True,
    also: tuple[uuid.UUID, ...] = (),
    detail: dict[str, Any] | None = None,
) -> None:
    """Mark `project` as changed now; notify and invalidate after commit (once per transaction).

    `touch=False` notifies without moving `updated_at` (e.g. someone else forked it); a
    draft save moves it only if it is DRAFT_TOUCH_SECONDS old. The
    owner's and members' dashboards are told, and those of `also` (a member who has just
    been removed or left, whose dashboard must drop the project). `detail` goes into the
    message (e.g. a draft save's prompt and revision, so the tab that saved it need not
    reload for its own save); a second change in the same transaction drops it.
    """
    if touch and kind != "deleted":
        now = utcnow()
        last = project.updated_at
        if kind != "draft" or last is None or (now - last).total_seconds() >= DRAFT_TOUCH_SECONDS:
            project.updated_at = now
            session.add(project)
    pending: dict[str, tuple[str, str, dict]] = session.info.setdefault(_PENDING_KEY, {})
    # Listen once per session for its whole life: a `once=True` listener stays registered
    # after firing, so listening again for the session's next transaction was a no-op and
    # every change after the first commit went unannounced.
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    people = dict.fromkeys([*map(str, team_ids(session, project)), *map(str, also)])
    details = {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in (detail or {}).items()}
    if str(project.id) in pending:  # a second change in one transaction: everyone, no detail
        earlier_people, earlier_kind, _ = pending[str(project.id)]
        people = dict.fromkeys([*earlier_people.split(","), *people])
        kind = kind if kind == earlier_kind else "updated"
        details = {}
    pending[str(project.id)] = (",".join(people), kind, details)


PROMPT_EVENTS_TOPIC = "prompt-events"
_EVENTS_KEY = "promptrepo_prompt_events"


def prompt_event(session: Session, project: Project, event_type: str, **data: Any) -> None:
    """A change programs outside may act on: `version.created`, `label.moved` (publish,
    rollback, any label set or removed), `prompt.deleted`.

    Webhook deliveries are queued in this transaction (services/webhooks.py: durable, sent
    only if the change commits); after the commit the event is published on
    `prompt-events` (MCP sessions tell their clients the prompt list changed) and, for
    LIST_CHANGES, noted in `recent_changes` (for the clients that were not listening)."""
    from promptrepo.services import webhooks

    message = {
        "type": event_type,
        "project_id": str(project.id),
        "owner_id": str(project.user_id),
        "member_ids": team_ids(session, project)[1:],
        "timestamp": utcnow().isoformat(),
        "data": {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in data.items()},
    }
    webhooks.enqueue(session, project.id, message)
    session.info.setdefault(_EVENTS_KEY, []).append(message)
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)


def version_created(session: Session, project: Project, prompt, number: int) -> None:
    prompt_event(
        session, project, "version.created", prompt_id=prompt.id, name=prompt.name, version=number
    )


def label_moved(
    session: Session,
    project: Project,
    prompt,
    label: str,
    number: int | None,
    previous: int | None,
) -> None:
    """`label` now points at version `number` (None: removed); it pointed at `previous`."""
    prompt_event(
        session,
        project,
        "label.moved",
        prompt_id=prompt.id,
        name=prompt.name,
        label=label,
        version=number,
        previous_version=previous,
    )


def prompt_deleted(session: Session, project: Project, prompt) -> None:
    prompt_event(session, project, "prompt.deleted", prompt_id=prompt.id, name=prompt.name)


# Changes to what a prompt list shows (MCP's `prompts/list_changed`).
LIST_CHANGES = ("label.moved", "prompt.deleted")


def _after_commit(session: Session) -> None:
    for prompt_event_ in session.info.pop(_EVENTS_KEY, []):
        try:
            if prompt_event_["type"] in LIST_CHANGES:
                recent_changes.note(prompt_event_)
            events.publish(PROMPT_EVENTS_TOPIC, prompt_event_)
        except Exception:
            log.exception("prompt_event_publish_failed", type=prompt_event_["type"])
    pending: dict[str, tuple[str, str, dict]] = session.info.pop(_PENDING_KEY, {})
    for project_id, (people, kind, details) in pending.items():
        try:
            cache.invalidate_project(project_id)
            # the project's views, and the owner's and the members' dashboards
            topics = [project_topic(project_id), *map(user_topic, people.split(","))]
            events.publish_many(topics, {**details, "project_id": project_id, "kind": kind})
        except Exception:  # a notification failure must not fail the committed change
            log.exception("project_change_notification_failed", project_id=project_id)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_EVENTS_KEY, None)
