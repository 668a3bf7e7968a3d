"""The audit log: who did what, when."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from promptrepo.models import AuditLog


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
