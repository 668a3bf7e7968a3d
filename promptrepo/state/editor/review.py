"""ReviewState: the prompt's release proposals (History tab) and the Review dialog — what a
proposal would do (the diff against what is live, the checks, the test cases), then approve,
reject with a reason, or withdraw one's own. `services/reviews.py` decides; opening
`?proposal=<id>` (a notification's link) opens its dialog."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx
from sqlmodel import Session

from promptrepo.formatting import format_timestamp
from promptrepo.services import reviews
from promptrepo.services.errors import NotAuthenticated, ServiceError
from promptrepo.services.principal import Principal
from promptrepo.state.editor.base import guarded
from promptrepo.state.editor.promote import CheckRow, PromoteState
from promptrepo.state.editor.rows import SideBySideLine, side_by_side_lines


@dataclasses.dataclass
class ProposalRow:
    id: str = ""
    label: str = ""
    change: str = ""
    base: str = ""
    message: str = ""
    proposer: str = ""
    status: str = ""
    when: str = ""
    decision: str = ""  # "approved by Olive: ok"


def _row(view: reviews.ProposalView) -> ProposalRow:
    decision = ""
    if view.status != "open":
        decision = f"{view.status} by {view.decider_name or 'someone'}"
        if view.decision_reason:
            decision += f": {view.decision_reason}"
    return ProposalRow(
        id=view.id,
        label=view.label,
        change=view.change,
        base=view.base or "nothing",
        message=view.message,
        proposer=view.proposer_name,
        status=view.status,
        when=format_timestamp(view.created_at),
        decision=decision,
    )


class ReviewState(PromoteState):
    proposals: list[ProposalRow] = []
    review_open: bool = False
    review_id: str = ""
    review: ProposalRow = ProposalRow()
    review_is_mine: bool = False
    review_live: str = ""
    review_rows: list[SideBySideLine] = []
    review_settings: list[str] = []
    review_checks: list[CheckRow] = []
    review_tests: list[str] = []
    review_refusal: str = ""
    review_refusal_details: list[str] = []
    review_reason: str = ""
    review_error: str = ""

    @rx.var
    def open_proposals(self) -> int:
        return sum(1 for p in self.proposals if p.status == "open")

    def load_proposals(self, session: Session, principal: Principal | None) -> None:
        """The prompt's proposals (team members only; a public reader sees none)."""
        try:
            views = reviews.list_proposals(session, principal, self.editor_prompt_id)
        except ServiceError:
            views = []
        self.proposals = [_row(v) for v in views]

    @rx.event
    @guarded
    def reload_proposals(self):
        with self.acting() as (session, principal):
            self.load_proposals(session, principal)

    @rx.event
    async def open_from_link(self):
        """After the editor loads: `?proposal=<id>` (a notification's link) opens it."""
        wanted = str(self.router.url.query_parameters.get("proposal") or "")
        if wanted:
            return await self._open(wanted)
        return None

    @rx.event
    @guarded
    async def open_review(self, proposal_id: str):
        """Open the Review dialog of one proposal."""
        return await self._open(proposal_id)

    async def _open(self, proposal_id: str):
        self.review_error = ""
        self.review_reason = ""

        def detail_now():
            with self.acting() as (session, principal):
                detail = reviews.proposal_detail(session, principal, proposal_id)
                self.load_proposals(session, principal)
                return detail, principal

        try:
            # the preview renders the versions for their checks: off the event loop
            detail, principal = await asyncio.to_thread(detail_now)
        except NotAuthenticated:
            return self.to_login()
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        if detail.proposal.prompt_id != self.editor_prompt_id:
            return rx.toast.error("Proposal not found.")
        self.review_id = detail.proposal.id
        self.review = _row(detail.proposal)
        self.review_is_mine = detail.proposal.proposer_id == str(principal.user_id)
        self.review_live = detail.live or "nothing"
        self.review_rows = side_by_side_lines(detail.rows)
        self.review_settings = detail.setting_changes
        self.review_checks = [
            CheckRow(f"v{number} {c.type}" if number else c.type, c.passed, c.message)
            for number, c in detail.checks
        ]
        self.review_tests = detail.test_failures
        self.review_refusal = detail.refusal
        self.review_refusal_details = detail.refusal_details
        self.review_open = True
        return None

    @rx.event
    def set_review_open(self, value: bool):
        self.review_open = value

    @rx.event
    def set_review_reason(self, value: str):
        self.review_reason = value
        self.review_error = ""

    async def _decide(self, decide, success: str):
        proposal_id = self.review_id

        def decide_now():
            with self.acting() as (session, principal):
                view = decide(session, principal, proposal_id)
                self.load_history(session, principal)
                self.load_proposals(session, principal)
                return view

        try:
            # approving renders the version for its checks again: off the event loop
            view = await asyncio.to_thread(decide_now)
        except NotAuthenticated:
            return self.to_login()
        except ServiceError as exc:  # shown in the dialog, which stays open
            self.review_error = exc.message
            return None
        self.review_open = False
        message = success.format(label=view.label, change=view.change)
        self.history_message = message
        return rx.toast.success(message)

    @rx.event
    async def approve_proposal(self):
        reason = self.review_reason
        return await self._decide(
            lambda s, p, pid: reviews.approve(s, p, pid, reason=reason),
            "Approved: {label} now serves {change}.",
        )

    @rx.event
    async def reject_proposal(self):
        reason = self.review_reason
        return await self._decide(
            lambda s, p, pid: reviews.reject(s, p, pid, reason=reason),
            "Rejected the proposal for {label} ({change}).",
        )

    @rx.event
    async def withdraw_proposal(self):
        return await self._decide(
            lambda s, p, pid: reviews.withdraw(s, p, pid),
            "Withdrew your proposal for {label} ({change}).",
        )
