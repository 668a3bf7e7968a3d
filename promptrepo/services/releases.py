"""Releases: every change to what programs receive — publish, roll back, move or remove a
label — previewed the same way before it happens, then applied by `promote`.

`promotion_preview` says what a move would do: the version being replaced and the one
taking its place, a side-by-side diff, the release checks (validators, with typed
placeholders for required variables without examples), the label's history, and — before
anyone clicks — why it would be refused. `promote` applies it through `versions.set_label`
/ `versions.remove_label`, which record each move in `label_events`.
"""

from __future__ import annotations

import difflib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from promptrepo.models import (
    PRODUCTION_LABEL,
    LabelEvent,
    LabelSplit,
    Version,
    VersionLabel,
)
from promptrepo.services import access, chat, model_config, names, versions
from promptrepo.services.errors import ValidationFailed
from promptrepo.services.principal import Principal

HISTORY_LIMIT = 20


@dataclass
class LabelEventInfo:
    label: str
    from_version: int | None
    to_version: int | None
    actor_id: str | None
    actor_name: str | None
    reason: str
    created_at: datetime

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
        }


@dataclass
class SideBySideRow:
    """One line of a side-by-side diff: `old` on the left, `new` on the right. A changed
    line also comes as words (`old_words`, `new_words`: (text, changed) pairs).

    In a chat prompt's diff, each message starts with a `message` row: `old`/`new` name the
    message on each side ("#2 user", "" where it does not exist) and `change` says what
    happened to it ("unchanged", "changed", "added", "removed", "role user → assistant",
    "moved"…); its lines follow."""

    kind: str  # "same" | "changed" | "removed" | "added" | "message"
    old_number: int | None
    old: str
    new_number: int | None
    new: str
    old_words: list[tuple[str, bool]] = field(default_factory=list)
    new_words: list[tuple[str, bool]] = field(default_factory=list)
    change: str = ""


_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(old: str, new: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Two versions of a line as (text, changed) runs: words, spaces and punctuation that
    differ are marked; neighbouring runs of the same kind are merged."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []

    def add(parts: list[tuple[str, bool]], text: str, changed: bool) -> None:
        if not text:
            return
        if parts and parts[-1][1] == changed:
            parts[-1] = (parts[-1][0] + text, changed)
        else:
            parts.append((text, changed))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        add(left, "".join(a[i1:i2]), tag != "equal")
        add(right, "".join(b[j1:j2]), tag != "equal")
    return left, right


@dataclass
class CheckLine:
    type: str
    passed: bool
    message: str


@dataclass
class PromotionPreview:
    label: str
    kind: str  # "publish" | "rollback" | "move" | "create" | "remove"
    current_version: int | None  # what the label points at now (None: nowhere yet)
    target_version: int | None  # what it would point at (None: the label is removed)
    rows: list[SideBySideRow]
    checks: list[CheckLine]
    checks_required: bool  # production: failing checks refuse the move
    placeholders: list[str]
    history: list[LabelEventInfo]
    refusal: str = ""  # non-empty: the move would be refused, and why
    refusal_details: list[str] = field(default_factory=list)
    split: str = ""  # the traffic split live now ("v3 90% / v4 10%"), which the move ends
    # what else changes besides the text: "temperature: 0.2 → 0.7", "type: text → chat"
    setting_changes: list[str] = field(default_factory=list)
    # the project releases this label only through an approved proposal (services/reviews.py)
    needs_review: bool = False

    @property
    def allowed(self) -> bool:
        return not self.refusal


def _source(version) -> str:
    """What a version's author wrote, as text: a chat prompt's messages as `role:` blocks."""
    if version is None:
        return ""
    if getattr(version, "type", "text") == "chat":
        return chat.as_text(version.messages or [])
    return version.content


def _message_title(message: dict, index: int) -> str:
    if chat.is_placeholder(message):
        return f"#{index + 1} placeholder {{{{ {message['name']} }}}}"
    return f"#{index + 1} {message['role']}"


def _message_change(entry: dict) -> str:
    """What happened to one message, in words (`chat.message_diff` entry)."""
    change, before, after = entry["change"], entry["before"], entry["after"]
    if change in ("added", "removed"):
        return change
    notes = []
    if chat.is_placeholder(before) != chat.is_placeholder(after):
        notes.append("placeholder ↔ message")
    elif chat.is_placeholder(before):
        if before["name"] != after["name"]:
            notes.append(f"placeholder {before['name']} → {after['name']}")
    else:
        if before["role"] != after["role"]:
            notes.append(f"role {before['role']} → {after['role']}")
        if before["content"] != after["content"]:
            notes.append("text changed")
    if entry["index_before"] != entry["index_after"]:
        notes.append(f"moved from #{entry['index_before'] + 1}")
    if not notes:
        return "unchanged"
    if notes == ["text changed"]:
        return "changed"
    return ", ".join(notes)


def message_side_by_side(old: list[dict], new: list[dict]) -> list[SideBySideRow]:
    """Two chat templates compared message by message: for each message (matched by
    `chat.message_diff`) a `message` row naming it on each side and what changed (added,
    removed, its role, its text, its place), then its text side by side with the changed
    words marked. A placeholder has no lines."""
    rows: list[SideBySideRow] = []
    for entry in chat.message_diff(old, new):
        before, after = entry["before"], entry["after"]
        rows.append(
            SideBySideRow(
                "message",
                None,
                _message_title(before, entry["index_before"]) if before else "",
                None,
                _message_title(after, entry["index_after"]) if after else "",
                change=_message_change(entry),
            )
        )
        old_text = "" if before is None or chat.is_placeholder(before) else before["content"]
        new_text = "" if after is None or chat.is_placeholder(after) else after["content"]
        rows.extend(side_by_side(old_text, new_text))
    return rows


def version_side_by_side(old, new) -> list[SideBySideRow]:
    """Two versions (or drafts: anything with `type`, `content`, `messages`; None for "no
    version") side by side: message by message when both are chat prompts (or one side is
    missing), else their text line by line (a text prompt, or a change of type, compared as
    what the author wrote)."""
    kinds = {getattr(v, "type", "text") for v in (old, new) if v is not None}
    if kinds == {"chat"}:
        return message_side_by_side(
            (old.messages or []) if old is not None else [],
            (new.messages or []) if new is not None else [],
        )
    return side_by_side(_source(old), _source(new))


def setting_changes(old, new) -> list[str]:
    """What differs besides the text, one line each: the type ("type: text → chat") and
    every model setting ("temperature: 0.2 → 0.7", "seed: — → 7"; `model_config`)."""
    if old is None or new is None:
        return []
    lines = []
    if getattr(old, "type", "text") != getattr(new, "type", "text"):
        lines.append(f"type: {old.type} → {new.type}")
    lines.extend(
        model_config.describe_config_changes(
            getattr(old, "config", None) or {}, getattr(new, "config", None) or {}
        )
    )
    return lines


def side_by_side(old: str, new: str) -> list[SideBySideRow]:
    """The two texts line by line, aligned: equal lines side by side, replaced lines paired."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[SideBySideRow] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                SideBySideRow("same", i1 + k + 1, a[i1 + k], j1 + k + 1, b[j1 + k])
                for k in range(i2 - i1)
            )
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            left = i1 + k < i2
            right = j1 + k < j2
            kind = "changed" if left and right else ("removed" if left else "added")
            row = SideBySideRow(
                kind,
                i1 + k + 1 if left else None,
                a[i1 + k] if left else "",
                j1 + k + 1 if right else None,
                b[j1 + k] if right else "",
            )
            if kind == "changed":
                row.old_words, row.new_words = word_diff(row.old, row.new)
            rows.append(row)
    return rows


def label_history(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    label: str | None = None,
    *,
    limit: int = HISTORY_LIMIT,
) -> list[LabelEventInfo]:
    """The newest moves of the prompt's labels (or of one label), with who made them."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    query = select(LabelEvent, names.display_name(session, LabelEvent.actor_id)).where(
        LabelEvent.prompt_id == prompt.id
    )
    if label is not None:
        query = query.where(LabelEvent.label == label)
    rows = session.exec(
        query.order_by(LabelEvent.created_at.desc(), LabelEvent.id).limit(max(1, min(limit, 100)))
    ).all()
    return [
        LabelEventInfo(
            label=event.label,
            from_version=event.from_version,
            to_version=event.to_version,
            actor_id=str(event.actor_id) if event.actor_id else None,
            actor_name=name,
            reason=event.reason,
            created_at=event.created_at,
        )
        for event, name in rows
    ]


def _current(session: Session, prompt_id: uuid.UUID, label: str) -> Version | None:
    return session.exec(
        select(Version)
        .join(VersionLabel, VersionLabel.version_id == Version.id)
        .where(VersionLabel.prompt_id == prompt_id, VersionLabel.name == label)
    ).first()


def _split_now(session: Session, prompt_id: uuid.UUID, label: str) -> str:
    """The traffic split `label` serves now ("v3 90% / v4 10%"; services/splits.py), or ""."""
    rows = session.exec(
        select(Version.version, LabelSplit.weight)
        .join(Version, Version.id == LabelSplit.version_id)
        .where(LabelSplit.prompt_id == prompt_id, LabelSplit.label == label)
        .order_by(Version.version)
    ).all()
    return " / ".join(f"v{number} {weight}%" for number, weight in rows)


def promotion_preview(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    label: str,
    to_version: int | None,
) -> PromotionPreview:
    """What moving `label` to `to_version` (None: removing it) would do, and whether it is
    allowed (see the module docstring). Readers may look; only the owner may promote."""
    prompt, project = access.get_prompt(session, principal, prompt_id)
    label = versions.check_label_name(label)
    current = _current(session, prompt.id, label)
    target = versions.version_row(session, prompt.id, to_version) if to_version else None
    history = label_history(session, principal, prompt.id, label)
    split = _split_now(session, prompt.id, label)
    refusal, details = "", []
    if target is None:
        kind = "remove"
        if current is None:
            refusal = f"This prompt has no label {label!r}."
    elif current is None:
        kind = "publish" if label == PRODUCTION_LABEL else "create"
    elif label == PRODUCTION_LABEL:
        kind = "rollback" if target.version < current.version else "publish"
    else:
        kind = "move"
    if target is not None and current is not None and target.id == current.id and not split:
        refusal = f"{label} already points at version {target.version}."
    checks: list[CheckLine] = []
    placeholders: list[str] = []
    if target is not None:
        check = versions.release_check(
            target.content,
            target.variables,
            target.validators,
            target.template_dialect,
            type=target.type,
            messages=target.messages,
        )
        placeholders = check.filled
        if check.render_error:
            checks = [CheckLine("render", False, check.render_error)]
        else:
            checks = [CheckLine(r.type, r.passed, r.message) for r in check.results]
        if label == PRODUCTION_LABEL and not check.passed and not refusal:
            failing = [c for c in checks if not c.passed]
            refusal = f"Version {target.version} cannot be published: " + (
                "it does not render."
                if check.render_error
                else f"{len(failing)} validator{'s' if len(failing) > 1 else ''} failed."
            )
            details = [f"{c.type}: {c.message}" for c in failing]
    rows = version_side_by_side(current, target)
    return PromotionPreview(
        label=label,
        kind=kind,
        current_version=current.version if current else None,
        target_version=target.version if target else None,
        rows=rows,
        checks=checks,
        checks_required=label == PRODUCTION_LABEL,
        placeholders=placeholders,
        history=history,
        refusal=refusal,
        refusal_details=details,
        split=split,
        setting_changes=setting_changes(current, target),
        needs_review=versions.needs_review(project, label),
    )


def promote(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    label: str,
    to_version: int | None,
    *,
    reason: str = "",
    reviewed: bool = False,
) -> versions.LabelInfo | None:
    """Move `label` to `to_version`, or remove it when `to_version` is None, recording the
    move with `reason`. Publishing is refused (ValidationFailed) only by failing checks, and
    (ReviewRequired) when the label needs review and this is not an approved proposal
    (`reviewed`, services/reviews.py)."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    label = versions.check_label_name(label)
    versions.refuse_unreviewed(project, prompt.id, label, reviewed)
    if to_version is None:
        versions.remove_label(
            session, principal, prompt.id, label, reason=reason, reviewed=reviewed
        )
        return None
    current = _current(session, prompt.id, label)
    if (
        current is not None
        and current.version == int(to_version)
        and not _split_now(session, prompt.id, label)
    ):
        raise ValidationFailed(
            f"{label} already points at version {to_version}.",
            errors=[{"loc": ["version"], "msg": "already there"}],
        )
    action = None
    if label == PRODUCTION_LABEL and current is not None and int(to_version) < current.version:
        action = "version.rolled_back"
    return versions.set_label(
        session,
        principal,
        prompt.id,
        label,
        to_version,
        action=action,
        reason=reason,
        reviewed=reviewed,
    )
