"""Versions (immutable snapshots), labels (movable pointers), publishing, diffs and rendering.

- `create_version` snapshots the draft's content (or chat messages), variables, validators and
  model settings (`config`) as version N+1.
- Labels: `production` (publishing: the version must pass its own validators, rendered with its
  variables' example/default values), `staging`, and custom names. A labelled version cannot be
  deleted. `Version.is_published` is true exactly for the version `production` points at.
- `resolve` / `render_prompt` serve a label's or a version's content (never a silent fallback:
  an unknown label or version is NotFound).
"""

from __future__ import annotations

import difflib
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from promptrepo.models import (
    PRODUCTION_LABEL,
    LabelEvent,
    LabelSplit,
    Project,
    Prompt,
    Version,
    VersionLabel,
    utcnow,
)
from promptrepo.services import (
    access,
    audit,
    changes,
    chat,
    drafts,
    model_config,
    names,
    render_pool,
    templates,
    testcases,
    validators,
)
from promptrepo.services import variables as variable_specs
from promptrepo.services.errors import Conflict, NotFound, ReviewRequired, ValidationFailed
from promptrepo.services.locks import lock_prompt
from promptrepo.services.principal import Principal

STAGING_LABEL = "staging"
LABEL_RE = re.compile(r"^[a-z0-9_.-]{1,36}$")
MAX_COMMIT_MESSAGE = 500
MAX_PAGE_SIZE = 100
MAX_REASON = 500


# --------------------------------------------------------------------------- result types
@dataclass
class VersionInfo:
    id: str
    prompt_id: str
    version: int
    commit_message: str
    author_id: str | None
    author_name: str | None
    created_at: datetime
    is_published: bool
    labels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass
class VersionDetail(VersionInfo):
    content: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    validators: list[dict[str, Any]] = field(default_factory=list)
    type: str = "text"
    messages: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class VersionPage:
    items: list[VersionInfo]
    total: int
    offset: int
    limit: int


@dataclass
class LabelInfo:
    name: str
    version: int
    version_id: str
    updated_at: datetime
    updated_by: str | None
    # publishing: required variables without example or default that the checks filled
    # with typed placeholders
    placeholders: list[str] = field(default_factory=list)
    updated_by_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["updated_at"] = self.updated_at.isoformat()
        return data


@dataclass
class DiffLine:
    kind: str  # "context" | "add" | "remove"
    text: str
    old_line: int | None
    new_line: int | None


@dataclass
class DiffHunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: list[DiffLine]

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@"


@dataclass
class TextDiff:
    hunks: list[DiffHunk]
    added: int
    removed: int

    @property
    def identical(self) -> bool:
        return not self.hunks

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "hunks": [{**asdict(h), "header": h.header} for h in self.hunks],
        }


@dataclass
class VersionDiff:
    prompt_id: str
    from_version: int
    to_version: int
    content: TextDiff
    variables: list[dict[str, Any]]  # [{name, change: added|removed|changed, before, after}]
    validators_changed: bool
    # chat prompts: [{change: same|added|removed|changed, index_before, index_after, ...}]
    messages: list[dict[str, Any]] = field(default_factory=list)
    config: list[dict[str, Any]] = field(default_factory=list)  # [{key, change, before, after}]
    type_change: tuple[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_id": self.prompt_id,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "content": self.content.to_dict(),
            "variables": self.variables,
            "validators_changed": self.validators_changed,
            "messages": self.messages,
            "config": self.config,
            "type_change": list(self.type_change) if self.type_change else None,
        }


@dataclass
class ResolvedPrompt:
    prompt_id: str
    name: str
    version: int | None  # None for the draft
    labels: list[str]
    content: str
    variables: dict[str, Any]
    validators: list[dict[str, Any]] = field(default_factory=list)
    project_id: str = ""
    template_dialect: str = templates.PLAIN_DIALECT
    type: str = "text"
    messages: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "prompt_id": self.prompt_id,
            "name": self.name,
            "version": self.version,
            "labels": self.labels,
            "type": self.type,
            "content": self.content if self.type == "text" else "",
            "variables": self.variables,
            "template_dialect": self.template_dialect,
            "config": self.config,
        }
        if self.type == "chat":
            data["messages"] = self.messages
        return data


@dataclass
class RenderResult:
    text: str  # a chat prompt: the conversation as `role: content` blocks
    version: int | None
    validators: list[validators.ValidatorResult]
    type: str = "text"
    messages: list[dict[str, str]] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    split: bool = False  # served as one arm of a label's traffic split (services/splits.py)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.validators)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": self.type,
            "text": self.text,
            "version": self.version,
            "config": self.config,
            "validators": [
                {"type": r.type, "passed": r.passed, "message": r.message} for r in self.validators
            ],
        }
        if self.type == "chat":
            data["messages"] = self.messages
        if self.split:
            data["split"] = True
        return data


@dataclass
class RenderedBody:
    """What a prompt renders to: `text` for both types, `messages` for a chat prompt."""

    text: str
    messages: list[dict[str, str]] | None
    validators: list[validators.ValidatorResult]


# --------------------------------------------------------------------------- helpers
def check_label_name(label: str) -> str:
    """`production`, `staging` or a custom name: lowercase letters, digits, `_ . -`, ≤ 36."""
    if not isinstance(label, str) or not LABEL_RE.match(label):
        message = (
            f"Invalid label {label!r}: use 1 to 36 lowercase letters, digits, '_', '.' or '-'."
        )
        raise ValidationFailed(message, errors=[{"loc": ["label"], "msg": message}])
    return label


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        message = f"The reason is {len(reason)} characters long; the limit is {MAX_REASON}."
        raise ValidationFailed(message, errors=[{"loc": ["reason"], "msg": message}])
    return reason


def version_row(session: Session, prompt_id: uuid.UUID, number: int) -> Version:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound(f"Version {number!r} not found.") from None
    version = session.exec(
        select(Version).where(Version.prompt_id == prompt_id, Version.version == number)
    ).first()
    if version is None:
        raise NotFound(f"Version {number} of this prompt does not exist.")
    return version


def _labels_by_version(session: Session, prompt_id: uuid.UUID) -> dict[uuid.UUID, list[str]]:
    labels: dict[uuid.UUID, list[str]] = {}
    for row in session.exec(
        select(VersionLabel).where(VersionLabel.prompt_id == prompt_id).order_by(VersionLabel.name)
    ).all():
        labels.setdefault(row.version_id, []).append(row.name)
    for label_names in labels.values():
        # production first, then staging, then the rest alphabetically
        label_names.sort(key=lambda n: (n != PRODUCTION_LABEL, n != STAGING_LABEL, n))
    return labels


def _info(
    version: Version, labels: dict[uuid.UUID, list[str]], author_name: str | None
) -> VersionInfo:
    return VersionInfo(
        id=str(version.id),
        prompt_id=str(version.prompt_id),
        version=version.version,
        commit_message=version.commit_message,
        author_id=str(version.author_id) if version.author_id else None,
        author_name=author_name,
        created_at=version.created_at,
        is_published=version.is_published,
        labels=list(labels.get(version.id, [])),
    )


# Render `content` with `values` checked against `spec`, then run the validators on it, in a
# render worker process under the wall-clock budget (services/render_pool.py). Raises
# ValidationFailed naming the variable, the line or the limit when the render fails. The
# async variant is for event-loop code (API routes, Reflex handlers): it never blocks it.
render_and_validate = render_pool.render_and_validate
render_and_validate_async = render_pool.render_and_validate_async


@dataclass
class ReleaseCheck:
    """A version's checks before it may be published: the render and every validator, with
    each variable's example or default, and typed placeholders for required variables that
    have neither (`filled`)."""

    failures: list[dict[str, Any]]
    results: list[validators.ValidatorResult]
    filled: list[str]
    render_error: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures


def render_body(
    type: str,
    content: str,
    messages: list[dict[str, Any]] | None,
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    placeholders: dict[str, Any] | None = None,
    dialect: str = templates.PLAIN_DIALECT,
    *,
    deadline: render_pool.Deadline | None = None,
) -> RenderedBody:
    """Render a text or chat prompt and run its validators (a chat prompt's on every rendered
    message and on the whole), in a render worker under the budget. Placeholders (chat) come
    from the caller; an unfilled one is empty. Raises ValidationFailed naming the variable,
    message, line or limit. Blocks the calling thread: async code uses `render_body_async`."""
    if type != "chat":
        _no_placeholders(placeholders)
        text, results = render_and_validate(
            content, spec, validator_list, values, dialect, deadline=deadline
        )
        return RenderedBody(text=text, messages=None, validators=results)
    text, rendered, results = render_pool.render_chat(
        messages or [], spec, validator_list, values, placeholders, dialect, deadline=deadline
    )
    return RenderedBody(text=text, messages=rendered, validators=results)


async def render_body_async(
    type: str,
    content: str,
    messages: list[dict[str, Any]] | None,
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    placeholders: dict[str, Any] | None = None,
    dialect: str = templates.PLAIN_DIALECT,
) -> RenderedBody:
    """`render_body` for event-loop code (API routes, MCP, Reflex handlers)."""
    if type != "chat":
        _no_placeholders(placeholders)
        text, results = await render_and_validate_async(
            content, spec, validator_list, values, dialect
        )
        return RenderedBody(text=text, messages=None, validators=results)
    text, rendered, results = await render_pool.render_chat_async(
        messages or [], spec, validator_list, values, placeholders, dialect
    )
    return RenderedBody(text=text, messages=rendered, validators=results)


def _no_placeholders(placeholders: dict[str, Any] | None) -> None:
    if placeholders:
        raise ValidationFailed(
            "Only chat prompts have message placeholders.",
            errors=[{"loc": ["placeholders"], "msg": "a text prompt has none"}],
        )


def release_check(
    content: str,
    spec: dict[str, Any],
    validator_list: list[Any],
    dialect: str = templates.PLAIN_DIALECT,
    *,
    type: str = "text",
    messages: list[dict[str, Any]] | None = None,
) -> ReleaseCheck:
    """Render the prompt as publishing does and run its validators (see ReleaseCheck); a chat
    prompt with empty placeholders."""
    if type == "chat":
        variables = chat.detect_variables(messages or [])
    else:
        variables = templates.analyze(content).variables
    values, filled = variable_specs.check_values(spec, variables)
    try:
        results = render_body(
            type, content, messages, spec, validator_list, values, None, dialect
        ).validators
    except ValidationFailed as exc:
        return ReleaseCheck(
            failures=[{"loc": ["render"], "type": "render", "msg": exc.message}],
            results=[],
            filled=filled,
            render_error=exc.message,
        )
    failures = [
        {"loc": ["validators", index], "type": r.type, "msg": r.message}
        for index, r in enumerate(results)
        if not r.passed
    ]
    return ReleaseCheck(failures=failures, results=results, filled=filled)


def publish_failures(
    content: str,
    spec: dict[str, Any],
    validator_list: list[Any],
    *,
    type: str = "text",
    messages: list[dict[str, Any]] | None = None,
) -> list[dict]:
    """Why this content cannot be published (empty when it can): it must render and pass
    every validator, with examples/defaults and typed placeholders (`release_check`)."""
    return release_check(content, spec, validator_list, type=type, messages=messages).failures


def publish_refusal(version: Version, check: ReleaseCheck | None = None) -> ValidationFailed | None:
    """The error refusing to publish `version`, or None when its checks pass."""
    if check is None:
        check = release_check(
            version.content,
            version.variables,
            version.validators,
            version.template_dialect,
            type=version.type,
            messages=version.messages,
        )
    failures = check.failures
    if not failures:
        return None
    count = len(failures)
    return ValidationFailed(
        f"Version {version.version} cannot be published: "
        + ("it does not render: " if failures[0]["type"] == "render" else "")
        + (
            failures[0]["msg"]
            if failures[0]["type"] == "render"
            else f"{count} validator{'s' if count > 1 else ''} failed: "
            + "; ".join(f"{f['type']}: {f['msg']}" for f in failures)
        ),
        errors=failures,
    )


# --------------------------------------------------------------------------- versions
def create_version(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    commit_message: str,
    base_revision: int | None = None,
) -> Version:
    """Snapshot the draft as version N+1 (content, used variables, validators, author, time).

    With `base_revision`, refuses (DraftConflict) if the draft changed since. A draft with a
    template syntax error cannot become a version.
    """
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    assert principal is not None
    # Serialise version numbering per prompt (row locks on both databases): two concurrent
    # snapshots get N+1 and N+2, never both N+1.
    prompt, project = lock_prompt(session, prompt, project)
    if base_revision is not None and base_revision != prompt.revision:
        raise drafts.DraftConflict(
            f"This prompt was changed elsewhere (now at revision {prompt.revision}, "
            f"you started from {base_revision}); save or reload the draft first.",
            prompt=prompt,
        )
    message = (commit_message or "").strip()
    if len(message) > MAX_COMMIT_MESSAGE:
        raise ValidationFailed(
            f"The commit message is at most {MAX_COMMIT_MESSAGE} characters.",
            errors=[{"loc": ["commit_message"], "msg": "too long"}],
        )
    if prompt.type == "chat":
        chat.compile_messages(prompt.messages or [])
        used = chat.detect_variables(prompt.messages or [])
    else:
        templates.compile_template(prompt.content)
        used = templates.detect_variables(prompt.content)
    spec = prompt.variables or {}
    snapshot_vars = {name: spec.get(name) or variable_specs.default_spec() for name in used}
    last = session.exec(
        select(func.max(Version.version)).where(Version.prompt_id == prompt.id)
    ).one()
    version = Version(
        prompt_id=prompt.id,
        version=(last or 0) + 1,
        # a chat prompt's text is its messages (a `content` left from its text days is not)
        content=prompt.content if prompt.type == "text" else "",
        variables=snapshot_vars,
        validators=validators.snapshot(validators._validators_of(session, prompt.id)),
        type=prompt.type,
        messages=list(prompt.messages or []),
        config=dict(prompt.config or {}),
        commit_message=message,
        author_id=principal.user_id,
        template_dialect=prompt.template_dialect,
    )
    session.add(version)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Another version was saved at the same moment; try again.") from None
    audit.record(
        session,
        principal.user_id,
        "version.created",
        "prompt",
        prompt.id,
        version=version.version,
        commit_message=message,
        revision=prompt.revision,
    )
    changes.project_changed(session, project)
    changes.version_created(session, project, prompt, version.version)
    return version


def list_versions(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    offset: int = 0,
    limit: int = 20,
) -> VersionPage:
    """A page of the prompt's versions, newest first, with their labels and authors."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    offset = max(0, int(offset))
    limit = max(1, min(MAX_PAGE_SIZE, int(limit)))
    total = session.exec(
        select(func.count()).select_from(Version).where(Version.prompt_id == prompt.id)
    ).one()
    rows = session.exec(
        select(Version, names.display_name(session, Version.author_id))
        .where(Version.prompt_id == prompt.id)
        .order_by(Version.version.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    labels = _labels_by_version(session, prompt.id)
    return VersionPage(
        items=[_info(v, labels, name) for v, name in rows],
        total=total,
        offset=offset,
        limit=limit,
    )


def get_version(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, number: int
) -> VersionDetail:
    """One version with its content, variables and validators."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    version = version_row(session, prompt.id, number)
    author = (
        session.execute(sa.select(names.display_name(session, version.author_id))).scalar()
        if version.author_id
        else None
    )
    info = _info(version, _labels_by_version(session, prompt.id), author or None)
    return VersionDetail(
        **asdict(info),
        content=version.content,
        variables=version.variables,
        validators=version.validators,
        type=version.type,
        messages=version.messages or [],
        config=version.config or {},
    )


def diff_texts(old: str, new: str, *, context: int = 3) -> TextDiff:
    """A line diff as hunks of context/add/remove lines with their line numbers."""
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks: list[DiffHunk] = []
    added = removed = 0
    for group in matcher.get_grouped_opcodes(context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for offset, text in enumerate(old_lines[i1:i2]):
                    lines.append(DiffLine("context", text, i1 + offset + 1, j1 + offset + 1))
                continue
            if tag in ("replace", "delete"):
                for offset, text in enumerate(old_lines[i1:i2]):
                    lines.append(DiffLine("remove", text, i1 + offset + 1, None))
                    removed += 1
            if tag in ("replace", "insert"):
                for offset, text in enumerate(new_lines[j1:j2]):
                    lines.append(DiffLine("add", text, None, j1 + offset + 1))
                    added += 1
        first, last = group[0], group[-1]
        hunks.append(
            DiffHunk(
                old_start=first[1] + 1,
                old_count=last[2] - first[1],
                new_start=first[3] + 1,
                new_count=last[4] - first[3],
                lines=lines,
            )
        )
    return TextDiff(hunks=hunks, added=added, removed=removed)


def _variable_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for name in list(old) + [n for n in new if n not in old]:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        change = "added" if before is None else "removed" if after is None else "changed"
        result.append({"name": name, "change": change, "before": before, "after": after})
    return result


def diff_versions(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    from_n: int,
    to_n: int,
) -> VersionDiff:
    """What changed from version `from_n` to version `to_n`: content hunks, variables, validators."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    old = version_row(session, prompt.id, from_n)
    new = version_row(session, prompt.id, to_n)
    return VersionDiff(
        prompt_id=str(prompt.id),
        from_version=old.version,
        to_version=new.version,
        content=diff_texts(old.content, new.content),
        variables=_variable_changes(old.variables or {}, new.variables or {}),
        validators_changed=old.validators != new.validators,
        messages=chat.message_diff(old.messages or [], new.messages or []),
        config=model_config.config_changes(old.config or {}, new.config or {}),
        type_change=(old.type, new.type) if old.type != new.type else None,
    )


def restore_version(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    number: int,
    *,
    base_revision: int | None,
    force: bool = False,
) -> Prompt:
    """Copy version `number` (content, variables, validators, dialect) into the draft."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    assert principal is not None
    version = version_row(session, prompt.id, number)
    prompt = drafts.save_draft(
        session,
        principal,
        prompt.id,
        base_revision=base_revision,
        content=version.content,
        variables=version.variables,
        type=version.type,
        messages=version.messages or [],
        config=version.config or {},
        force=force,
    )
    validators.replace_validators(session, prompt.id, version.validators)
    # The draft renders as the version did (a version from before dialects stays "jinja2").
    prompt.template_dialect = version.template_dialect
    session.add(prompt)
    audit.record(
        session,
        principal.user_id,
        "version.restored",
        "prompt",
        prompt.id,
        version=version.version,
        revision=prompt.revision,
    )
    changes.project_changed(session, project)
    return prompt


def delete_version(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, number: int
) -> None:
    """Delete a version; refused (Conflict) while any label points at it."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    assert principal is not None
    version = version_row(session, prompt.id, number)
    labels = _labels_by_version(session, prompt.id).get(version.id, [])
    if labels:
        raise Conflict(
            f"Version {version.version} carries the label(s) {', '.join(labels)}; "
            "move or remove them before deleting it."
        )
    split = session.exec(select(LabelSplit.label).where(LabelSplit.version_id == version.id)).all()
    if split:
        raise Conflict(
            f"Version {version.version} serves part of the label(s) {', '.join(sorted(split))} "
            "(a traffic split); end the split before deleting it."
        )
    audit.record(
        session,
        principal.user_id,
        "version.deleted",
        "prompt",
        prompt.id,
        version=version.version,
        commit_message=version.commit_message,
    )
    session.delete(version)
    session.flush()
    changes.project_changed(session, project)


# --------------------------------------------------------------------------- labels
def list_labels(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str
) -> list[LabelInfo]:
    """The prompt's labels and the version each points at."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    rows = session.exec(
        select(VersionLabel, Version.version, names.display_name(session, VersionLabel.updated_by))
        .join(Version, Version.id == VersionLabel.version_id)
        .where(VersionLabel.prompt_id == prompt.id)
    ).all()
    result = [
        LabelInfo(
            name=label.name,
            version=number,
            version_id=str(label.version_id),
            updated_at=label.updated_at,
            updated_by=str(label.updated_by) if label.updated_by else None,
            updated_by_name=mover,
        )
        for label, number, mover in rows
    ]
    result.sort(key=lambda li: (li.name != PRODUCTION_LABEL, li.name != STAGING_LABEL, li.name))
    return result


def _sync_published(session: Session, prompt_id: uuid.UUID, version_id: uuid.UUID | None) -> None:
    session.exec(
        update(Version)
        .where(Version.prompt_id == prompt_id)
        .values(is_published=Version.id == version_id if version_id else False)
    )


def _end_split(session: Session, prompt_id: uuid.UUID, label: str) -> str:
    """Delete the traffic split of `label` (services/splits.py), if any: a label moved to one
    version, or removed, serves no split any more. Returns the split ended ("v3 90% / v4 10%")
    or ""."""
    rows = session.exec(
        select(LabelSplit, Version.version)
        .join(Version, Version.id == LabelSplit.version_id)
        .where(LabelSplit.prompt_id == prompt_id, LabelSplit.label == label)
        .order_by(Version.version)
    ).all()
    for row, _ in rows:
        session.delete(row)
    return " / ".join(f"v{number} {row.weight}%" for row, number in rows)


def needs_review(project: Project, label: str) -> bool:
    """Whether moving `label` in `project` needs an approved proposal: `production`, when the
    project's owner turned on "production needs review" (services/reviews.py)."""
    return bool(project.production_needs_review) and label == PRODUCTION_LABEL


def refuse_unreviewed(project: Project, prompt_id: uuid.UUID, label: str, reviewed: bool) -> None:
    """Raise ReviewRequired (409) for a direct move of a label that needs review; an approved
    proposal passes `reviewed=True` (services/reviews.approve), so it takes this same path."""
    if reviewed or not needs_review(project, label):
        return
    raise ReviewRequired(
        f"This project's {label} label moves only after review: propose the move instead "
        f"(POST /api/v1/prompts/{prompt_id}/proposals, or Propose in the editor) and another "
        "editor or the owner approves it.",
        how={
            "propose": f"/api/v1/prompts/{prompt_id}/proposals",
            "method": "POST",
            "body": {"label": label, "version": "<number>", "message": "<why>"},
        },
    )


def set_label(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    label: str,
    version_number: int,
    *,
    action: str | None = None,
    reason: str = "",
    reviewed: bool = False,
) -> LabelInfo:
    """Point `label` at a version. Moving `production` publishes it: refused with
    ValidationFailed listing each failure when the version does not pass its validators.
    The move is recorded in the label's history (`label_events`) with `reason`. A label that
    needs review (`needs_review`) moves only for an approved proposal (`reviewed`)."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    assert principal is not None
    label = check_label_name(label)
    refuse_unreviewed(project, prompt.id, label, reviewed)
    version = version_row(session, prompt.id, version_number)
    reason = _clean_reason(reason)
    placeholders: list[str] = []
    if label == PRODUCTION_LABEL:
        check = release_check(
            version.content,
            version.variables,
            version.validators,
            version.template_dialect,
            type=version.type,
            messages=version.messages,
        )
        if not check.passed:
            raise publish_refusal(version, check)
        testcases.ensure_cases_pass_for_publish(session, project, prompt.id, version)
        placeholders = check.filled
    existing = session.exec(
        select(VersionLabel).where(VersionLabel.prompt_id == prompt.id, VersionLabel.name == label)
    ).first()
    ended_split = _end_split(session, prompt.id, label)
    if ended_split:
        reason = _clean_reason(
            f"end split {ended_split}: {reason}" if reason else f"end split {ended_split}"
        )
    previous = None
    if existing is None:
        existing = VersionLabel(
            prompt_id=prompt.id, name=label, version_id=version.id, updated_by=principal.user_id
        )
    else:
        previous_version = session.get(Version, existing.version_id)
        previous = previous_version.version if previous_version else None
        existing.version_id = version.id
        existing.updated_by = principal.user_id
        existing.updated_at = utcnow()
    session.add(existing)
    if previous != version.version or ended_split:
        session.add(
            LabelEvent(
                prompt_id=prompt.id,
                label=label,
                from_version=previous,
                to_version=version.version,
                actor_id=principal.user_id,
                reason=reason,
            )
        )
    session.flush()
    if label == PRODUCTION_LABEL:
        _sync_published(session, prompt.id, version.id)
        session.refresh(version)
    audit.record(
        session,
        principal.user_id,
        action or ("version.published" if label == PRODUCTION_LABEL else "label.set"),
        "prompt",
        prompt.id,
        label=label,
        version=version.version,
        previous_version=previous,
    )
    changes.project_changed(session, project)
    changes.label_moved(session, project, prompt, label, version.version, previous)
    return LabelInfo(
        name=label,
        version=version.version,
        version_id=str(version.id),
        updated_at=existing.updated_at,
        updated_by=str(principal.user_id),
        placeholders=placeholders,
    )


def remove_label(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    label: str,
    *,
    reason: str = "",
    reviewed: bool = False,
) -> None:
    """Remove a label; removing `production` unpublishes the prompt. Recorded in the
    label's history with `reason`. Needs an approved proposal when the label needs review."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    assert principal is not None
    refuse_unreviewed(project, prompt.id, label, reviewed)
    reason = _clean_reason(reason)
    existing = session.exec(
        select(VersionLabel).where(VersionLabel.prompt_id == prompt.id, VersionLabel.name == label)
    ).first()
    if existing is None:
        raise NotFound(f"This prompt has no label {label!r}.")
    version = session.get(Version, existing.version_id)
    ended_split = _end_split(session, prompt.id, label)
    if ended_split:
        reason = _clean_reason(
            f"end split {ended_split}: {reason}" if reason else f"end split {ended_split}"
        )
    session.delete(existing)
    session.add(
        LabelEvent(
            prompt_id=prompt.id,
            label=label,
            from_version=version.version if version else None,
            to_version=None,
            actor_id=principal.user_id,
            reason=reason,
        )
    )
    session.flush()
    if label == PRODUCTION_LABEL:
        _sync_published(session, prompt.id, None)
    audit.record(
        session,
        principal.user_id,
        "version.unpublished" if label == PRODUCTION_LABEL else "label.removed",
        "prompt",
        prompt.id,
        label=label,
        version=version.version if version else None,
    )
    changes.project_changed(session, project)
    changes.label_moved(session, project, prompt, label, None, version and version.version)


def rollback(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    version_number: int,
    *,
    reason: str = "",
) -> LabelInfo:
    """Move `production` back to an older version."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    refuse_unreviewed(project, prompt.id, PRODUCTION_LABEL, False)
    current = session.exec(
        select(Version.version)
        .join(VersionLabel, VersionLabel.version_id == Version.id)
        .where(VersionLabel.prompt_id == prompt.id, VersionLabel.name == PRODUCTION_LABEL)
    ).first()
    if current is None:
        raise Conflict("Nothing is published yet, so there is nothing to roll back.")
    if int(version_number) >= current:
        raise ValidationFailed(
            f"Rollback moves production to an older version than {current}; "
            f"publish version {version_number} instead.",
            errors=[{"loc": ["version"], "msg": f"must be older than {current}"}],
        )
    return set_label(
        session,
        principal,
        prompt.id,
        PRODUCTION_LABEL,
        version_number,
        action="version.rolled_back",
        reason=reason,
    )


# --------------------------------------------------------------------------- serving
def resolve(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    label: str | None = PRODUCTION_LABEL,
    version: int | None = None,
    draft: bool = False,
) -> ResolvedPrompt:
    """The content a client should use: `version` if given, else `label` (default
    `production`); `draft=True` gives the working draft. Unknown label/version → NotFound."""
    prompt, project = access.get_prompt(session, principal, prompt_id)
    labels_by_version = _labels_by_version(session, prompt.id)
    if draft:
        return ResolvedPrompt(
            prompt_id=str(prompt.id),
            name=prompt.name,
            version=None,
            labels=[],
            content=prompt.content,
            variables=prompt.variables or {},
            validators=validators.snapshot(validators._validators_of(session, prompt.id)),
            project_id=str(project.id),
            template_dialect=prompt.template_dialect,
            type=prompt.type,
            messages=list(prompt.messages or []),
            config=dict(prompt.config or {}),
        )
    if version is not None:
        row = version_row(session, prompt.id, version)
    else:
        label = check_label_name(label or PRODUCTION_LABEL)
        row = session.exec(
            select(Version)
            .join(VersionLabel, VersionLabel.version_id == Version.id)
            .where(VersionLabel.prompt_id == prompt.id, VersionLabel.name == label)
        ).first()
        if row is None:
            raise NotFound(
                f"Prompt '{prompt.name}' has no version labelled {label!r}"
                + (" (it is not published yet)." if label == PRODUCTION_LABEL else ".")
            )
    return ResolvedPrompt(
        prompt_id=str(prompt.id),
        name=prompt.name,
        version=row.version,
        labels=list(labels_by_version.get(row.id, [])),
        content=row.content,
        variables=row.variables or {},
        validators=row.validators or [],
        project_id=str(project.id),
        template_dialect=row.template_dialect,
        type=row.type,
        messages=row.messages or [],
        config=row.config or {},
    )


def render_prompt(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    values: dict[str, Any],
    label: str | None = None,
    version: int | None = None,
    draft: bool = False,
    placeholders: dict[str, Any] | None = None,
) -> RenderResult:
    """Render a version (by number, by label, default `production`, or the draft) with
    `values` (and, for a chat prompt, `placeholders`: name → list of messages), and run its
    validators. A missing or mistyped variable raises ValidationFailed naming it."""
    resolved = resolve(
        session,
        principal,
        prompt_id,
        label=label or PRODUCTION_LABEL,
        version=version,
        draft=draft,
    )
    body = render_body(
        resolved.type,
        resolved.content,
        resolved.messages,
        resolved.variables,
        resolved.validators,
        values or {},
        placeholders,
        resolved.template_dialect,
    )
    return RenderResult(
        text=body.text,
        version=resolved.version,
        validators=body.validators,
        type=resolved.type,
        messages=body.messages,
        config=resolved.config,
    )
