"""A project's activity: who changed what, when — for the activity page, its API route and the
Enterprise plan's CSV export ("Audit log export", services/plans.py).

Two sources, one list, newest first, paged in SQL (one UNION ALL):
- `audit_log` entries about the project or one of its prompts (segments and prompts added,
  renamed, moved or deleted, drafts saved, versions made, restored or deleted, validators,
  test cases and runs, tags, the project's own changes). A deleted segment's or prompt's
  entry is about the project, so it stays when what it tells of is gone;
- `label_events`, every move of a label with its from/to versions and the reason given. The
  audit log's own label entries (version.published, label.set, …) say less and would repeat
  these, so they are left out.

The project's owner and members read it (their API keys too, read-only included; a project
key only its project); anyone else gets "not found", public project or not: an activity log
is not part of what a public project shares. On PostgreSQL the team may read the audit
entries about the project and its prompts whoever wrote them (migration 0021). Entries about a prompt that was deleted since are
gone with it (their prompt no longer belongs to the project).
"""

from __future__ import annotations

import csv
import io
import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from promptrepo.models import AuditLog, LabelEvent, Project, Prompt, Segment
from promptrepo.services import access, plans
from promptrepo.services.errors import NotFound, PlanLimitReached, ValidationFailed
from promptrepo.services.principal import Principal, require_user

MAX_PER_PAGE = 100
EXPORT_MAX_ROWS = 50_000
LABEL_ACTIONS = (
    "version.published",
    "version.unpublished",
    "version.rolled_back",
    "label.set",
    "label.removed",
)
LABEL_MOVED = "label.moved"

# Kinds the page filters by, each a set of actions (by prefix).
KINDS: dict[str, tuple[str, ...]] = {
    "contents": (
        "segment.",
        "prompt.created",
        "prompt.renamed",
        "prompt.moved",
        "prompt.deleted",
    ),
    "drafts": ("prompt.saved",),
    "versions": ("version.created", "version.restored", "version.deleted"),
    "labels": (LABEL_MOVED,),
    "validators": ("validator.",),
    "tests": ("testcase.", "testrun.", "project.test_gate"),
    "tags": ("prompt.tagged",),
    "project": (
        "project.create",
        "project.import",
        "project.fork",
        "project.duplicate",
        "project.visibility",
        "webhook.",
    ),
}
KIND_NAMES = {
    "contents": "Segments and prompts",
    "drafts": "Draft edits",
    "versions": "Versions",
    "labels": "Labels (publish, roll back)",
    "validators": "Validators",
    "tests": "Tests",
    "tags": "Tags",
    "project": "Project settings",
}


@dataclass(frozen=True)
class ActivityFilters:
    actor_id: uuid.UUID | None = None
    kind: str | None = None
    since: date | None = None  # inclusive, UTC days
    until: date | None = None  # inclusive


@dataclass(frozen=True)
class ActivityEntry:
    at: datetime
    actor_id: str | None
    actor_name: str
    action: str
    kind: str
    prompt_id: str | None
    prompt_name: str
    summary: str


@dataclass(frozen=True)
class ActivityPage:
    items: list[ActivityEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class Actor:
    id: str
    name: str


def kind_of(action: str) -> str:
    for kind, prefixes in KINDS.items():
        if any(action.startswith(p) for p in prefixes):
            return kind
    return "project" if action.startswith("project") else "other"


def parse_filters(
    *,
    actor: str | None = None,
    kind: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
) -> ActivityFilters:
    """Filters from text (a query string or a form): ValidationFailed names the bad one."""

    def day(value: str | date | None, field: str) -> date | None:
        if value in (None, ""):
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            msg = f"{field}: a date as YYYY-MM-DD, not {str(value)[:40]!r}."
            raise ValidationFailed(msg, errors=[{"loc": [field], "msg": msg}]) from None

    actor_id = None
    if actor:
        try:
            actor_id = uuid.UUID(str(actor))
        except ValueError:
            msg = "actor: a person's id."
            raise ValidationFailed(msg, errors=[{"loc": ["actor"], "msg": msg}]) from None
    if kind and kind not in KINDS:
        msg = f"kind: one of {', '.join(KINDS)}."
        raise ValidationFailed(msg, errors=[{"loc": ["kind"], "msg": msg}])
    filters = ActivityFilters(
        actor_id=actor_id, kind=kind or None, since=day(since, "since"), until=day(until, "until")
    )
    if filters.since and filters.until and filters.since > filters.until:
        msg = "The start date is after the end date."
        raise ValidationFailed(msg, errors=[{"loc": ["since"], "msg": msg}])
    return filters


def _team_project(session: Session, principal: Principal | None, project_id) -> Project:
    """The project, for its owner and members (a public project's visitors: not found)."""
    principal = require_user(principal)
    project = access.get_project(session, principal, project_id)
    if access.project_role(session, principal, project) is None:
        raise NotFound("Project not found.")
    return project


def _union(session: Session, project: Project, filters: ActivityFilters) -> sa.Subquery:
    audit_prompt = sa.case((AuditLog.target_type == "prompt", AuditLog.target_id), else_=sa.null())
    audit_where = [
        sa.or_(
            sa.and_(AuditLog.target_type == "project", AuditLog.target_id == str(project.id)),
            sa.and_(AuditLog.target_type == "prompt", _prompt_of(session, project)),
        ),
        AuditLog.action.not_in(LABEL_ACTIONS),
    ]
    label_where = [
        LabelEvent.prompt_id.in_(
            sa.select(Prompt.id)
            .join(Segment, Segment.id == Prompt.segment_id)
            .where(Segment.project_id == project.id)
        )
    ]
    if filters.actor_id is not None:
        audit_where.append(AuditLog.actor_id == filters.actor_id)
        label_where.append(LabelEvent.actor_id == filters.actor_id)
    if filters.since is not None:
        start = datetime.combine(filters.since, time.min, tzinfo=UTC)
        audit_where.append(AuditLog.created_at >= start)
        label_where.append(LabelEvent.created_at >= start)
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=UTC)
        audit_where.append(AuditLog.created_at < end)
        label_where.append(LabelEvent.created_at < end)
    include_audit = include_labels = True
    if filters.kind is not None:
        include_labels = filters.kind == "labels"
        include_audit = not include_labels
        audit_where.append(sa.or_(*(AuditLog.action.startswith(p) for p in KINDS[filters.kind])))
    null_text = sa.cast(sa.null(), sa.String)
    null_int = sa.cast(sa.null(), sa.Integer)
    audit = sa.select(
        AuditLog.created_at.label("at"),
        sa.cast(AuditLog.actor_id, sa.String).label("actor_id"),
        AuditLog.action.label("action"),
        sa.cast(audit_prompt, sa.String).label("prompt_ref"),
        sa.cast(AuditLog.details, sa.Text).label("details"),
        null_text.label("label"),
        null_int.label("from_version"),
        null_int.label("to_version"),
        null_text.label("reason"),
        sa.cast(AuditLog.id, sa.String).label("entry_id"),
    ).where(*audit_where, sa.true() if include_audit else sa.false())
    labels = sa.select(
        LabelEvent.created_at.label("at"),
        sa.cast(LabelEvent.actor_id, sa.String).label("actor_id"),
        sa.literal(LABEL_MOVED, sa.String).label("action"),
        sa.cast(LabelEvent.prompt_id, sa.String).label("prompt_ref"),
        null_text.label("details"),
        LabelEvent.label.label("label"),
        LabelEvent.from_version.label("from_version"),
        LabelEvent.to_version.label("to_version"),
        LabelEvent.reason.label("reason"),
        sa.cast(LabelEvent.id, sa.String).label("entry_id"),
    ).where(*label_where, sa.true() if include_labels else sa.false())
    return sa.union_all(audit, labels).subquery("activity")


def _prompt_of(session: Session, project: Project) -> sa.ColumnElement[bool]:
    """The audit entry's target is a prompt of the project. `target_id` is `str(uuid)`; SQLite
    stores a UUID column as 32 hex digits, PostgreSQL as a uuid."""
    if session.get_bind().dialect.name == "sqlite":
        ids = sa.select(Prompt.id)
        target = sa.func.replace(AuditLog.target_id, "-", "")
    else:
        ids = sa.select(sa.cast(Prompt.id, sa.String))
        target = AuditLog.target_id
    ids = ids.join(Segment, Segment.id == Prompt.segment_id).where(Segment.project_id == project.id)
    return target.in_(ids)


def list_activity(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    filters: ActivityFilters | None = None,
    *,
    page: int = 1,
    per_page: int = 25,
) -> ActivityPage:
    """Page `page` of the project's activity, newest first (the owner and members)."""
    project = _team_project(session, principal, project_id)
    filters = filters or ActivityFilters()
    page = max(1, int(page))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    activity = _union(session, project, filters)
    total = session.execute(sa.select(sa.func.count()).select_from(activity)).scalar_one()
    rows = session.execute(
        sa.select(activity)
        .order_by(activity.c.at.desc(), activity.c.entry_id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ActivityPage(_entries(session, principal, rows), total, page, per_page)


def _entries(session: Session, principal: Principal, rows) -> list[ActivityEntry]:
    prompt_refs = {_uuid(r.prompt_ref) for r in rows if r.prompt_ref}
    names = {}
    if prompt_refs:
        names = {
            p_id: name
            for p_id, name in session.execute(
                sa.select(Prompt.id, Prompt.name).where(Prompt.id.in_(prompt_refs))
            ).all()
        }
    actors = {_uuid(r.actor_id) for r in rows if r.actor_id}
    actor_names = _actor_names(session, principal, actors)
    entries = []
    for r in rows:
        details: dict[str, Any] = {}
        if r.details:
            details = json.loads(r.details) if isinstance(r.details, str) else dict(r.details)
        prompt_id = _uuid(r.prompt_ref) if r.prompt_ref else None
        prompt_name = names.get(prompt_id, "") if prompt_id else ""
        actor_id = _uuid(r.actor_id) if r.actor_id else None
        at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)
        entries.append(
            ActivityEntry(
                at=at,
                actor_id=str(actor_id) if actor_id else None,
                actor_name=actor_names.get(actor_id, "PromptRepo") if actor_id else "PromptRepo",
                action=r.action,
                kind=kind_of(r.action),
                prompt_id=str(prompt_id) if prompt_id else None,
                prompt_name=prompt_name,
                summary=summarise(r.action, details, r, prompt_name),
            )
        )
    return entries


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _actor_names(
    session: Session, principal: Principal, ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    from promptrepo.services.projects import owner_name_of

    names = {}
    for actor_id in ids:
        if actor_id == principal.user_id:
            names[actor_id] = principal.name or principal.email
        else:
            names[actor_id] = (
                session.execute(sa.select(owner_name_of(session, actor_id))).scalar_one()
                or "Someone"
            )
    return names


def actors(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> list[Actor]:
    """Everyone who appears in the project's activity (for the person filter)."""
    project = _team_project(session, principal, project_id)
    activity = _union(session, project, ActivityFilters())
    ids = {
        _uuid(v) for v in session.execute(sa.select(activity.c.actor_id).distinct()).scalars() if v
    }
    names = _actor_names(session, require_user(principal), ids)
    return sorted((Actor(str(i), n) for i, n in names.items()), key=lambda a: a.name.lower())


def summarise(action: str, details: dict[str, Any], row: Any, prompt_name: str) -> str:
    """One line a person reads: what happened."""
    where = f"“{prompt_name}”" if prompt_name else "a prompt"
    if action == LABEL_MOVED:
        label = row.label
        if row.from_version is None:
            text = f"Pointed {label} at v{row.to_version} of {where}"
        elif row.to_version is None:
            text = f"Removed {label} (was v{row.from_version}) from {where}"
        else:
            text = f"Moved {label} of {where} from v{row.from_version} to v{row.to_version}"
        return text + (f": {row.reason}" if row.reason else "")
    if action.startswith("segment.") or action in KINDS["contents"]:
        return _summarise_contents(action, details, where)
    if action == "prompt.saved":
        fields = ", ".join(details.get("fields", [])) or "draft"
        if details.get("forced"):
            return f"Overwrote the draft of {where} ({fields})"
        edits = details.get("edits", 1)
        return f"Edited {where} ({fields}; {edits} save{'s' if edits != 1 else ''})"
    if action == "prompt.tagged":
        parts = []
        if details.get("added"):
            parts.append("added " + ", ".join(f"#{t}" for t in details["added"]))
        if details.get("removed"):
            parts.append("removed " + ", ".join(f"#{t}" for t in details["removed"]))
        return f"Tags of {where}: " + "; ".join(parts)
    if action == "version.created":
        number = details.get("version")
        message = details.get("commit_message") or details.get("message")
        text = f"Saved v{number} of {where}" if number else f"Saved a version of {where}"
        return text + (f": {message}" if message else "")
    if action == "version.restored":
        return f"Restored v{details.get('version', '?')} of {where} into its draft"
    if action == "version.deleted":
        return f"Deleted v{details.get('version', '?')} of {where}"
    if action.startswith("validator."):
        verb = action.split(".", 1)[1]
        kind = details.get("type")
        return f"Validator {verb}{f' ({kind})' if kind else ''} on {where}"
    if action == "testcase.added":
        return f"Added test case “{details.get('name', '')}” to {where}"
    if action == "testcase.deleted":
        return f"Deleted test case “{details.get('name', '')}” of {where}"
    if action == "testrun.finished":
        passed, total = details.get("passed"), details.get("total")
        if passed is not None and total is not None:
            return f"Ran the test cases of {where}: {passed} of {total} passed"
        return f"Ran the test cases of {where}"
    project_texts = {
        "project.create": "Created the project",
        "project.import": "Imported the project",
        "project.fork": "Forked the project from another",
        "project.duplicate": "Made this project as a copy",
        "project.visibility": "Changed who can see the project",
        "project.test_gate": "Changed whether publishing needs passing tests",
        "project.update": "Changed the project's name or description",
        "webhook.created": "Added a webhook",
    }
    if action in project_texts:
        text = project_texts[action]
        if action == "project.visibility" and "is_public" in details:
            text = "Made the project " + ("public" if details["is_public"] else "private")
        return text
    return action.replace(".", " ").replace("_", " ").capitalize()


def _summarise_contents(action: str, details: dict[str, Any], where: str) -> str:
    """A segment or prompt added, renamed, moved or deleted."""
    name = f"“{details.get('name', '')}”"
    if action == "segment.created":
        return f"Added the segment {name}"
    if action == "segment.renamed":
        return f"Renamed the segment “{details.get('old_name', '')}” to {name}"
    if action == "segment.moved":
        return f"Moved the segment {name} to position {details.get('position', '?')}"
    if action == "segment.deleted":
        count = details.get("prompts", 0)
        with_prompts = f" and its {count} prompt{'s' if count != 1 else ''}" if count else ""
        return f"Deleted the segment {name}{with_prompts}"
    if action == "prompt.created":
        return f"Added the prompt {where} to “{details.get('segment', '')}”"
    if action == "prompt.renamed":
        return f"Renamed the prompt “{details.get('old_name', '')}” to {name}"
    if action == "prompt.moved":
        source, target = details.get("from_segment", ""), details.get("to_segment", "")
        position = details.get("position", "?")
        if source != target:
            return f"Moved {where} from “{source}” to “{target}” (position {position})"
        return f"Moved {where} to position {position} in “{target}”"
    if action == "prompt.deleted":
        return f"Deleted the prompt {name} from “{details.get('segment', '')}”"
    return action.replace(".", " ").capitalize()


def export_plan(session: Session, principal: Principal | None) -> plans.Plan:
    """The plan deciding whether the principal may export (the Enterprise plan may)."""
    principal = require_user(principal)
    return plans.plan_for_user(session, principal.user_id)


CSV_COLUMNS = ["time_utc", "person", "person_id", "kind", "action", "prompt", "prompt_id", "what"]


def export_csv(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    filters: ActivityFilters | None = None,
) -> str:
    """The project's activity (filters applied, newest first) as CSV: the Enterprise plan's
    audit log export. Other plans get PlanLimitReached (402) naming the plan that has it."""
    principal = require_user(principal)
    project = _team_project(session, principal, project_id)
    plan = plans.plan_for_user(session, project.user_id)
    if not plan.audit_export:
        raise PlanLimitReached(
            f"Exporting the activity log is part of the Enterprise plan (you are on "
            f"{plan.name}). Upgrade at {plans.UPGRADE_URL}."
        )
    result = list_activity(session, principal, project.id, filters, page=1, per_page=MAX_PER_PAGE)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    page = result
    written = 0
    while page.items and written < EXPORT_MAX_ROWS:
        for entry in page.items:
            writer.writerow(
                [
                    entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    _cell(entry.actor_name),
                    entry.actor_id or "",
                    entry.kind,
                    entry.action,
                    _cell(entry.prompt_name),
                    entry.prompt_id or "",
                    _cell(entry.summary),
                ]
            )
            written += 1
        if page.page >= page.pages:
            break
        page = list_activity(
            session, principal, project.id, filters, page=page.page + 1, per_page=MAX_PER_PAGE
        )
    return buffer.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection): a leading = + - @ tab or
    carriage return gets a leading apostrophe."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
