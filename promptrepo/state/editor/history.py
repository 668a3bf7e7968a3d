"""HistoryState: versions (save, view, restore, delete), the labels' list and the diff
between two versions. Moving labels (publish, roll back, move, remove) is PromoteState's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from promptrepo.formatting import format_timestamp
from promptrepo.models import PRODUCTION_LABEL
from promptrepo.services import drafts, releases, splits, versions
from promptrepo.services.errors import NotAuthenticated, ServiceError, ValidationFailed
from promptrepo.services.principal import Principal
from promptrepo.state.editor.base import chain, guarded
from promptrepo.state.editor.draft import DraftState
from promptrepo.state.editor.rows import (
    LabelEventRow,
    LabelRow,
    SideBySideLine,
    VersionRow,
    side_by_side_lines,
)

VERSIONS_PAGE_SIZE = 10


def _diff_title(diff: versions.VersionDiff, *, chat_diff: bool) -> str:
    """'Version 1 → 2: …' — lines added and removed, or for two chat prompts how many
    messages changed, were added and were removed."""
    head = f"Version {diff.from_version} → {diff.to_version}: "
    if chat_diff:
        counts = {"changed": 0, "added": 0, "removed": 0}
        for entry in diff.messages:
            if entry["change"] in counts:
                counts[entry["change"]] += 1
        moved = sum(
            1
            for e in diff.messages
            if e["change"] == "same" and e["index_before"] != e["index_after"]
        )
        parts = [f"{n} message{'s' if n != 1 else ''} {what}" for what, n in counts.items() if n]
        if moved:
            parts.append(f"{moved} moved")
        if not parts:
            return f"Versions {diff.from_version} and {diff.to_version} have the same messages"
        return head + ", ".join(parts)
    if diff.content.identical:
        return f"Versions {diff.from_version} and {diff.to_version} have the same text"
    return head + f"+{diff.content.added} −{diff.content.removed} lines"


class HistoryState(DraftState):
    version_rows: list[VersionRow] = []
    versions_total: int = 0
    versions_offset: int = 0
    label_rows: list[LabelRow] = []
    # Every label move, newest first (services/releases.label_history), each revertible.
    label_events: list[LabelEventRow] = []
    production_version: int = 0
    version_dialog_open: bool = False
    commit_message: str = ""
    version_error: str = ""
    history_message: str = ""
    publish_errors: list[str] = []
    publish_error_title: str = ""
    view_open: bool = False
    view_number: int = 0
    view_content: str = ""
    view_summary: str = ""
    diff_from: str = ""
    diff_to: str = ""
    compare_rows: list[SideBySideLine] = []
    compare_old: int = 0
    compare_new: int = 0
    compare_is_chat: bool = False  # message by message: line numbers restart per message
    diff_title: str = ""
    diff_extra: list[str] = []
    label_name_input: str = ""
    label_version_input: str = ""
    label_error: str = ""

    # ------------------------------------------------------------------ computed
    @rx.var
    def versions_page_label(self) -> str:
        if not self.versions_total:
            return ""
        first = self.versions_offset + 1
        last = min(self.versions_offset + VERSIONS_PAGE_SIZE, self.versions_total)
        return f"{first}–{last} of {self.versions_total}"

    @rx.var
    def has_newer_versions(self) -> bool:
        return self.versions_offset > 0

    @rx.var
    def has_older_versions(self) -> bool:
        return self.versions_offset + VERSIONS_PAGE_SIZE < self.versions_total

    @rx.var
    def version_numbers(self) -> list[str]:
        return [str(row.number) for row in self.version_rows]

    # ------------------------------------------------------------------ loading
    def reset_view(self) -> None:
        """A prompt is being (re)opened: forget the previous one's messages, diff and paging."""
        self.publish_errors = []
        self.publish_error_title = ""
        self.history_message = ""
        self.compare_rows = []
        self.diff_title = ""
        self.diff_extra = []
        self.versions_offset = 0

    def load_history(self, session: Session, principal: Principal | None) -> None:
        page = versions.list_versions(
            session,
            principal,
            self.editor_prompt_id,
            offset=self.versions_offset,
            limit=VERSIONS_PAGE_SIZE,
        )
        if not page.items and page.total and self.versions_offset:
            self.versions_offset = max(0, self.versions_offset - VERSIONS_PAGE_SIZE)
            return self.load_history(session, principal)
        self.versions_total = page.total
        self.version_rows = [
            VersionRow(
                number=item.version,
                message=item.commit_message,
                author=item.author_name or "",
                created=format_timestamp(item.created_at),
                labels=item.labels,
                is_published=item.is_published,
            )
            for item in page.items
        ]
        labels = versions.list_labels(session, principal, self.editor_prompt_id)
        split = splits.splits_of_prompt(session, principal, self.editor_prompt_id)
        self.label_rows = [
            LabelRow(
                name=li.name,
                version=li.version,
                moved_by=li.updated_by_name or "",
                moved_at=format_timestamp(li.updated_at),
                split=splits.describe(split.get(li.name, [])),
            )
            for li in labels
        ]
        self.production_version = next(
            (li.version for li in labels if li.name == PRODUCTION_LABEL), 0
        )
        now = {li.name: li.version for li in labels}
        self.label_events = [
            LabelEventRow(
                label=event.label,
                move=f"v{event.from_version or '—'} → v{event.to_version or '—'}".replace(
                    "v—", "—"
                ),
                who=event.actor_name or "unknown",
                when=format_timestamp(event.created_at),
                reason=event.reason,
                revert_to=event.from_version or 0,
                can_revert=(event.from_version or 0) != now.get(event.label, 0),
            )
            for event in releases.label_history(session, principal, self.editor_prompt_id)
        ]
        numbers = [str(r.number) for r in self.version_rows]
        if self.diff_from not in numbers:
            self.diff_from = numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else "")
        if self.diff_to not in numbers:
            self.diff_to = numbers[0] if numbers else ""

    # ------------------------------------------------------------------ versions
    @rx.event
    def set_version_dialog_open(self, value: bool):
        self.version_dialog_open = value
        self.version_error = ""

    @rx.event
    def set_commit_message(self, value: str):
        self.commit_message = value

    @rx.event
    def save_version(self):
        """Flush the draft, then snapshot it as the next version."""
        self.version_error = ""
        try:
            principal = self.require_principal()
            if not self._flush(principal):
                self.version_dialog_open = False
                return rx.toast.error(
                    "The draft changed elsewhere; resolve the conflict before saving a version."
                )
            with self.acting() as (session, principal):
                version = versions.create_version(
                    session,
                    principal,
                    self.editor_prompt_id,
                    commit_message=self.commit_message,
                    base_revision=self._revision,
                )
                number = version.version
                self.versions_offset = 0
                self.diff_from = self.diff_to = ""  # default to the two newest
                self.load_history(session, principal)
        except NotAuthenticated:
            return self.to_login()
        except drafts.DraftConflict as exc:
            self._enter_conflict(exc)
            self.version_dialog_open = False
            return rx.toast.error(exc.message)
        except ServiceError as exc:  # shown in the dialog, which stays open
            self.version_error = exc.message
            return None
        self.version_dialog_open = False
        self.commit_message = ""
        self.history_message = f"Saved version {number}."
        return rx.toast.success(f"Saved version {number}.")

    @rx.event
    @guarded
    def versions_page(self, direction: int):
        self.versions_offset = max(0, self.versions_offset + direction * VERSIONS_PAGE_SIZE)
        with self.acting() as (session, principal):
            self.load_history(session, principal)

    @rx.event
    @guarded
    def view_version(self, number: int):
        with self.acting() as (session, principal):
            detail = versions.get_version(session, principal, self.editor_prompt_id, number)
        self.view_number = detail.version
        self.view_content = detail.content
        self.view_summary = (
            f"{detail.commit_message or 'No message'} · {detail.author_name or 'unknown'} · "
            f"{format_timestamp(detail.created_at)} · {len(detail.variables)} variables · "
            f"{len(detail.validators)} validators"
            + (f" · labels: {', '.join(detail.labels)}" if detail.labels else "")
        )
        self.view_open = True

    @rx.event
    def set_view_open(self, value: bool):
        self.view_open = value

    @rx.event
    def set_diff_from(self, value: str):
        self.diff_from = value

    @rx.event
    def set_diff_to(self, value: str):
        self.diff_to = value

    @rx.event
    @guarded
    def show_diff(self):
        if not self.diff_from or not self.diff_to:
            self.require_principal()
            return rx.toast.error("Pick two versions to compare.")
        with self.acting() as (session, principal):
            diff = versions.diff_versions(
                session,
                principal,
                self.editor_prompt_id,
                int(self.diff_from),
                int(self.diff_to),
            )
            old = versions.get_version(session, principal, self.editor_prompt_id, diff.from_version)
            new = versions.get_version(session, principal, self.editor_prompt_id, diff.to_version)
        self.compare_rows = side_by_side_lines(releases.version_side_by_side(old, new))
        self.compare_old, self.compare_new = old.version, new.version
        self.compare_is_chat = old.type == new.type == "chat"
        self.diff_title = _diff_title(diff, chat_diff=old.type == new.type == "chat")
        extra = [f"Variable {v['name']} {v['change']}" for v in diff.variables]
        if diff.validators_changed:
            extra.append("Validators changed")
        extra.extend(releases.setting_changes(old, new))
        self.diff_extra = extra
        self.conflict_open = False
        from promptrepo.state.editor.comments import CommentsState  # a substate of this one

        return CommentsState.load_comments  # the new diff's line markers

    @rx.event
    def compare_with_previous(self, number: int):
        self.diff_to = str(number)
        self.diff_from = str(max(1, number - 1))
        return HistoryState.show_diff

    @rx.event
    @guarded
    def restore_version(self, number: int):
        principal = self.require_principal()
        try:
            if not self._flush(principal):
                return rx.toast.error("Resolve the draft conflict before restoring a version.")
            with self.acting() as (session, principal):
                prompt = versions.restore_version(
                    session,
                    principal,
                    self.editor_prompt_id,
                    number,
                    base_revision=self._revision,
                )
                self._load_validators(session, principal)
                render = self._apply_draft(prompt)
        except drafts.DraftConflict as exc:
            self._enter_conflict(exc)
            return rx.toast.error(exc.message)
        self.history_message = f"Version {number} restored into the draft."
        return chain(render, rx.toast.success(f"Version {number} restored into the draft."))

    # ------------------------------------------------------------------ labels
    def _label_action(self, action: Callable[[Session, Principal], Any], success: str):
        self.publish_errors = []
        self.publish_error_title = ""
        try:
            with self.acting() as (session, principal):
                action(session, principal)
                self.load_history(session, principal)
        except ValidationFailed as exc:
            self.publish_error_title = exc.message.split(":")[0] + ":"
            self.publish_errors = [
                (f"{e.get('type')}: " if e.get("type") else "") + str(e.get("msg", ""))
                for e in exc.errors
            ] or [exc.message]
            return rx.toast.error(exc.message)
        self.history_message = success
        return rx.toast.success(success)

    @rx.event
    @guarded
    def delete_version(self, number: int):
        return self._label_action(
            lambda s, p: versions.delete_version(s, p, self.editor_prompt_id, number),
            f"Version {number} deleted.",
        )

    @rx.event
    def set_label_name_input(self, value: str):
        self.label_name_input = value
        self.label_error = ""

    @rx.event
    def set_label_version_input(self, value: str):
        self.label_version_input = value
        self.label_error = ""

    @rx.event
    def dismiss_publish_errors(self):
        self.publish_errors = []
        self.publish_error_title = ""
