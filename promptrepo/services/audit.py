"""The audit log: who did what, when."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from promptrepo.models import AuditLog, utcnow

# Edits by one person to one target, with nothing else recorded on it in between and no pause
# longer than this, are one entry (autosave would otherwise write one per pause in typing).
EDIT_SESSION_GAP = timedelta(minutes=10)


def record(
    session: Session,
    actor_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str,
    **details: Any,
) -> None:
    """Add an audit entry in the caller's transaction (it commits or rolls back with the change)."""
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
        )
    )


def record_edit(
    session: Session,
    actor_id: uuid.UUID,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str,
    *,
    revision: int,
    fields: list[str],
) -> None:
    """Record an edit, folded into the target's latest entry when that entry is the same
    person's same kind of edit, less than EDIT_SESSION_GAP ago: the entry then spans the
    revisions from its first edit to this one, with the union of the fields changed."""
    now = utcnow()
    latest = session.exec(
        select(AuditLog)
        .where(AuditLog.target_type == target_type, AuditLog.target_id == str(target_id))
        .order_by(AuditLog.created_at.desc())
        .limit(1)
    ).first()
    if (
        latest is not None
        and latest.action == action
        and latest.actor_id == actor_id
        and now - _last_edit_at(latest) < EDIT_SESSION_GAP
    ):
        details = dict(latest.details)
        details["from_revision"] = details.get("from_revision", details.get("revision"))
        details["revision"] = revision
        details["fields"] = sorted(set(details.get("fields", [])) | set(fields))
        details["edits"] = details.get("edits", 1) + 1
        details["last_edit_at"] = now.isoformat()
        latest.details = details  # a new dict, so the JSON column is written
        session.add(latest)
        return
    record(session, actor_id, action, target_type, target_id, revision=revision, fields=fields)


def _last_edit_at(entry: AuditLog) -> datetime:
    last = entry.details.get("last_edit_at")
    return datetime.fromisoformat(last) if last else entry.created_at
