"""PromoteState: the one dialog every change to what programs receive goes through —
publish, roll back, move or remove a label. It shows what the move would do (the version
being replaced, a side-by-side diff, the release checks, the label's history) and why it
would be refused, before the click; `services/releases.py` decides and applies."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from promptrepo.formatting import format_timestamp
from promptrepo.models import PRODUCTION_LABEL
from promptrepo.services import releases, reviews, versions
from promptrepo.services.errors import NotAuthenticated, ServiceError, ValidationFailed
from promptrepo.state.editor.base import guarded
from promptrepo.state.editor.history import HistoryState
from promptrepo.state.editor.rows import SideBySideLine, side_by_side_lines


@dataclasses.dataclass
class CheckRow:
    type: str = ""
    passed: bool = False
    message: str = ""


@dataclasses.dataclass
class LabelMoveRow:
    when: str = ""
    who: str = ""
    move: str = ""
    reason: str = ""


def _version_name(number: int | None) -> str:
    return f"v{number}" if number else "—"


class PromoteState(HistoryState):
    promote_open: bool = False
    promote_label: str = ""
    promote_target: int = 0  # 0: remove the label
    promote_current: int = 0  # 0: the label points nowhere yet
    promote_kind: str = ""
    promote_rows: list[SideBySideLine] = []
    promote_settings: list[str] = []  # "temperature: 0.2 → 0.7", "type: text → chat"
    promote_checks: list[CheckRow] = []
    promote_checks_required: bool = False
    promote_placeholders: str = ""
    promote_history: list[LabelMoveRow] = []
    promote_refusal: str = ""
    promote_refusal_details: list[str] = []
    promote_reason: str = ""
    promote_error: str = ""
    promote_split: str = ""  # the traffic split the move ends ("v3 90% / v4 10%")
    # production needs review here: confirming sends a proposal (services/reviews.py)
    promote_needs_review: bool = False

    @rx.var
    def promote_title(self) -> str:
        label, target = self.promote_label, self.promote_target
        if self.promote_split and target:
            return f"End the split of {label}: serve version {target}"
        return {
            "publish": f"Publish version {target}",
            "rollback": f"Roll production back to version {target}",
            "move": f"Move {label} to version {target}",
            "create": f"Label version {target} as {label}",
            "remove": f"Remove the label {label}",
        }.get(self.promote_kind, "Promote")

    @rx.var
    def promote_summary(self) -> str:
        label = self.promote_label
        now = f"v{self.promote_current}" if self.promote_current else "no version"
        verb = "points at"
        if self.promote_split:
            now, verb = self.promote_split, "serves"
        if self.promote_kind == "remove":
            return (
                f"{label} {verb} {now} today. Removing it makes programs asking for "
                f"{label} get “not found”"
                + (" — the prompt is unpublished." if label == PRODUCTION_LABEL else ".")
            )
        return (
            f"{label} {verb} {now} today; programs asking for {label} get "
            f"v{self.promote_target}{' only' if self.promote_split else ''} once you confirm."
        )

    @rx.var
    def promote_confirm_text(self) -> str:
        if self.promote_needs_review:
            return "Propose for review"
        if self.promote_split and self.promote_target:
            return "End split"
        return {
            "publish": "Publish",
            "rollback": "Roll back",
            "remove": "Remove label",
        }.get(self.promote_kind, "Move label")

    @rx.var
    def promote_allowed(self) -> bool:
        return not self.promote_refusal

    def _fill_preview(self, preview: releases.PromotionPreview) -> None:
        self.promote_label = preview.label
        self.promote_kind = preview.kind
        self.promote_current = preview.current_version or 0
        self.promote_target = preview.target_version or 0
        self.promote_rows = side_by_side_lines(preview.rows)
        self.promote_settings = preview.setting_changes
        self.promote_checks = [CheckRow(c.type, c.passed, c.message) for c in preview.checks]
        self.promote_checks_required = preview.checks_required
        self.promote_placeholders = (
            "No example or default for "
            + ", ".join(preview.placeholders)
            + ": the checks used typed placeholders (text ⟨name⟩, 0, false, the first option, {})."
            if preview.placeholders
            else ""
        )
        self.promote_history = [
            LabelMoveRow(
                when=format_timestamp(event.created_at),
                who=event.actor_name or "unknown",
                move=f"{_version_name(event.from_version)} → {_version_name(event.to_version)}",
                reason=event.reason,
            )
            for event in preview.history
        ]
        self.promote_refusal = preview.refusal
        self.promote_refusal_details = preview.refusal_details
        self.promote_split = preview.split
        self.promote_needs_review = preview.needs_review

    @rx.event
    @guarded
    async def open_promote(self, label: str, version: int):
        """Open the dialog for moving `label` to `version` (0: removing the label)."""
        await self._open_promote(label, version, "")

    @rx.event
    @guarded
    async def revert_move(self, label: str, version: int, reason: str):
        """From the label history: open the same dialog to move `label` back to `version`
        (0: remove it), with `reason` (what it undoes) as the note, to be edited at will."""
        await self._open_promote(label, version, reason)

    async def _open_promote(self, label: str, version: int, reason: str) -> None:
        self.promote_error = ""
        self.promote_reason = reason

        def preview_now() -> releases.PromotionPreview:
            with self.acting() as (session, principal):
                return releases.promotion_preview(
                    session, principal, self.editor_prompt_id, label, int(version) or None
                )

        # The preview renders the version (services/render_pool.py): off the event loop.
        self._fill_preview(await asyncio.to_thread(preview_now))
        self.promote_open = True

    @rx.event
    def set_promote_open(self, value: bool):
        self.promote_open = value

    @rx.event
    def set_promote_reason(self, value: str):
        self.promote_reason = value
        self.promote_error = ""

    @rx.event
    def apply_label(self):
        """The "Set label" form: check the name and version, then open the dialog."""
        label = self.label_name_input.strip()
        try:
            number = int(self.label_version_input)
        except ValueError:
            self.label_error = "Pick a version."
            return None
        if not label:
            self.label_error = "Type a label name (e.g. staging)."
            return None
        try:
            versions.check_label_name(label)
        except ValidationFailed as exc:
            self.label_error = exc.message
            return None
        self.label_name_input = ""
        return PromoteState.open_promote(label, number)

    @rx.event
    async def confirm_promote(self):
        if self.promote_needs_review:
            return await self._propose()
        label, target = self.promote_label, self.promote_target or None

        def promote_now():
            with self.acting() as (session, principal):
                info = releases.promote(
                    session,
                    principal,
                    self.editor_prompt_id,
                    label,
                    target,
                    reason=self.promote_reason,
                )
                self.load_history(session, principal)
            return info

        try:
            # Publishing renders the version for its checks: off the event loop.
            info = await asyncio.to_thread(promote_now)
        except NotAuthenticated:
            return self.to_login()
        except ServiceError as exc:  # shown in the dialog, which stays open
            self.promote_error = exc.message
            return None
        messages = {
            "publish": f"Version {target} is published (production).",
            "rollback": f"Rolled production back to version {target}.",
            "remove": f"Label {label} removed.",
        }
        success = messages.get(self.promote_kind, f"Label {label} → version {target}.")
        if info is not None and info.placeholders:
            success += " Checked with placeholders for " + ", ".join(info.placeholders) + "."
        self.promote_open = False
        self.history_message = success
        return rx.toast.success(success)

    async def _propose(self):
        """Production needs review here: send the move as a proposal, with the note as its
        message; the other editors and the owner are notified."""
        from promptrepo.state.editor.review import ReviewState

        label, target = self.promote_label, self.promote_target or None

        def propose_now():
            with self.acting() as (session, principal):
                return reviews.propose(
                    session,
                    principal,
                    self.editor_prompt_id,
                    label=label,
                    to_version=target,
                    message=self.promote_reason,
                )

        try:
            proposal = await asyncio.to_thread(propose_now)
        except NotAuthenticated:
            return self.to_login()
        except ServiceError as exc:
            self.promote_error = exc.message
            return None
        self.promote_open = False
        message = (
            f"Proposed: {label} → {proposal.change}. The other editors and the owner are "
            "notified; the label moves once one of them approves."
        )
        self.history_message = message
        return [ReviewState.reload_proposals, rx.toast.success(message)]
