"""SplitState: the "Split traffic" dialog (a label's live version keeps most of the traffic, a
second version gets a share) and the served-counts view of the History tab. Like every label
move, a split is previewed (diff, release checks, why it would be refused) and confirmed;
`services/splits.py` decides and applies. Ending a split is an ordinary promote."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from promptrepo.formatting import format_timestamp
from promptrepo.services import access, reviews, served_counts, splits, versions
from promptrepo.services.errors import NotAuthenticated, ServiceError
from promptrepo.state.editor.base import guarded
from promptrepo.state.editor.promote import CheckRow, LabelMoveRow, PromoteState, _version_name
from promptrepo.state.editor.rows import SideBySideLine, side_by_side_lines

SERVED_HOURS = 6


@dataclasses.dataclass
class ServedRow:
    when: str = ""
    cells: list[str] = dataclasses.field(default_factory=list)  # one per version column
    total: str = ""


@dataclasses.dataclass
class ServedShare:
    version: str = ""
    count: str = ""
    percent: int = 0


class SplitState(PromoteState):
    split_open: bool = False
    split_label: str = ""
    split_first: int = 0  # the version the label points at now: it keeps the rest
    split_now: str = ""  # the split live now ("v3 90% / v4 10%"), or ""
    split_second: str = ""
    split_weight: str = "10"  # the second version's share, as typed
    split_rows: list[SideBySideLine] = []
    split_checks: list[CheckRow] = []
    split_checks_required: bool = False
    split_history: list[LabelMoveRow] = []
    split_refusal: str = ""
    split_refusal_details: list[str] = []
    split_reason: str = ""
    split_error: str = ""
    split_loading: bool = False
    served_versions: list[str] = []
    served_rows: list[ServedRow] = []
    served_shares: list[ServedShare] = []
    served_loaded: bool = False

    # ------------------------------------------------------------------ computed
    @rx.var
    def split_weight_error(self) -> str:
        try:
            weight = int(self.split_weight)
        except ValueError:
            return "Type a whole percentage from 1 to 99."
        if not 1 <= weight <= 99:
            return "Type a whole percentage from 1 to 99."
        return ""

    @rx.var
    def split_first_weight(self) -> str:
        return "" if self.split_weight_error else str(100 - int(self.split_weight))

    @rx.var
    def split_candidates(self) -> list[str]:
        return [n for n in self.version_numbers if n != str(self.split_first)]

    @rx.var
    def split_summary(self) -> str:
        if self.split_weight_error or not self.split_second:
            return ""
        return (
            f"Programs asking for {self.split_label} get v{self.split_first} "
            f"{self.split_first_weight}% of the time and v{self.split_second} "
            f"{self.split_weight}%. The same key (?key=user-123) always gets the same version."
        )

    @rx.var
    def split_allowed(self) -> bool:
        return (
            bool(self.split_second)
            and not self.split_weight_error
            and not self.split_refusal
            and not self.split_loading
        )

    # ------------------------------------------------------------------ the dialog
    def _arms(self) -> list[tuple[int, int]]:
        weight = int(self.split_weight) if not self.split_weight_error else 10
        return [(self.split_first, 100 - weight), (int(self.split_second), weight)]

    async def _preview(self) -> None:
        """Fill the diff, checks and refusal for the chosen second version."""
        self.split_error = ""
        if not self.split_second:
            return

        def preview_now() -> splits.SplitPreview:
            with self.acting() as (session, principal):
                return splits.split_preview(
                    session, principal, self.editor_prompt_id, self.split_label, self._arms()
                )

        self.split_loading = True
        try:
            # The checks render the version (services/render_pool.py): off the event loop.
            preview = await asyncio.to_thread(preview_now)
        finally:
            self.split_loading = False
        self.split_rows = side_by_side_lines(preview.rows)
        self.split_checks = [
            CheckRow(f"v{version} {check.type}", check.passed, check.message)
            for version, check in preview.checks
        ]
        self.split_checks_required = preview.checks_required
        self.split_history = [
            LabelMoveRow(
                when=format_timestamp(event.created_at),
                who=event.actor_name or "unknown",
                move=f"{_version_name(event.from_version)} → {_version_name(event.to_version)}",
                reason=event.reason,
            )
            for event in preview.history
        ]
        self.split_refusal = preview.refusal
        self.split_refusal_details = preview.refusal_details

    @rx.event
    @guarded
    async def open_split(self, label: str, version: int):
        """Open the dialog for splitting `label`, which points at `version` now."""
        self.require_principal()
        self.split_label = label
        self.split_first = int(version)
        self.split_now = next((r.split for r in self.label_rows if r.name == label), "")
        candidates = [n for n in self.version_numbers if n != str(version)]
        self.split_second = candidates[0] if candidates else ""
        self.split_weight = "10"
        self.split_reason = ""
        self.split_refusal = ""
        self.split_refusal_details = []
        self.split_checks = []
        self.split_rows = []
        await self._preview()
        self.split_open = True

    @rx.event
    def set_split_open(self, value: bool):
        self.split_open = value

    @rx.event
    @guarded
    async def set_split_second(self, value: str):
        self.split_second = value
        await self._preview()

    @rx.event
    def set_split_weight(self, value: str):
        self.split_weight = value.strip()
        self.split_error = ""

    @rx.event
    def set_split_reason(self, value: str):
        self.split_reason = value
        self.split_error = ""

    @rx.event
    async def confirm_split(self):
        if self.split_weight_error:
            self.split_error = self.split_weight_error
            return None
        arms = self._arms()

        def split_now():
            with self.acting() as (session, principal):
                _, project = access.get_prompt(session, principal, self.editor_prompt_id)
                if versions.needs_review(project, self.split_label):
                    return reviews.propose(
                        session,
                        principal,
                        self.editor_prompt_id,
                        label=self.split_label,
                        arms=arms,
                        message=self.split_reason,
                    )
                applied = splits.set_split(
                    session,
                    principal,
                    self.editor_prompt_id,
                    self.split_label,
                    arms,
                    reason=self.split_reason,
                )
                self.load_history(session, principal)
            return applied

        try:
            # Splitting production renders both versions for their checks: off the event loop.
            applied = await asyncio.to_thread(split_now)
        except NotAuthenticated:
            return self.to_login()
        except ServiceError as exc:  # shown in the dialog, which stays open
            self.split_error = exc.message
            return None
        if isinstance(applied, reviews.ProposalView):
            message = (
                f"Proposed: {self.split_label} → {applied.change}. The label splits once "
                "another editor or the owner approves."
            )
            self.split_open = False
            self.history_message = message
            from promptrepo.state.editor.review import ReviewState

            return [ReviewState.reload_proposals, rx.toast.success(message)]
        message = f"{self.split_label} now serves {splits.describe(applied)}."
        self.split_open = False
        self.history_message = message
        return rx.toast.success(message)

    # ------------------------------------------------------------------ served counts
    @rx.event
    @guarded
    def load_served(self):
        """Requests served per version per hour over the last SERVED_HOURS hours."""
        with self.acting() as (session, principal):
            history = served_counts.served_history(
                session, principal, self.editor_prompt_id, hours=SERVED_HOURS
            )
        numbers = sorted(history.totals)
        self.served_versions = [f"v{n}" for n in numbers]
        self.served_rows = [
            ServedRow(
                when=format_timestamp(bucket.start),
                cells=[f"{bucket.counts.get(n, 0):,}" for n in numbers],
                total=f"{bucket.total:,}",
            )
            for bucket in reversed(history.buckets)  # newest first
            if bucket.total
        ]
        total = history.total
        self.served_shares = [
            ServedShare(f"v{n}", f"{count:,}", round(100 * count / total) if total else 0)
            for n, count in history.totals.items()
        ]
        self.served_loaded = True
