"""Reviewed releases (issue 16 item 2): with the project setting "production needs review"
on, `production` moves (publish, rollback, move, split, removal, revert from history) only
through a proposal that another member with edit rights approves.

- `propose`: an owner or editor proposes moving the label to a version, a traffic split, or
  removing it, with a message. What is live then is kept (`base`). The project's other
  owners/editors are notified (`notifications.notify`, and e-mail with SMTP).
- `proposal_detail`: the proposal with what it would do now — the diff against what is live
  and the release checks (`releases.promotion_preview` / `splits.split_preview`), the
  test-case gate's findings, and whether it went stale.
- `approve`: someone else with edit rights (self-approval is refused); refused as stale when
  the live label moved since; else the label moves through the same code as any move
  (`releases.promote` / `splits.set_split` with `reviewed=True`: checks run again, label
  history, audit, webhooks, cache invalidation), and the proposal is approved in the same
  transaction.
- `reject` (with a reason) by someone else with edit rights; `withdraw` by the proposer.
Decisions notify the proposer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from promptrepo import routes
from promptrepo.models import (
    PRODUCTION_LABEL,
    Project,
    ProjectMember,
    Prompt,
    ReleaseProposal,
    Version,
    VersionLabel,
    utcnow,
)
from promptrepo.services import (
    access,
    audit,
    changes,
    names,
    notifications,
    releases,
    splits,
    testcases,
    versions,
)
from promptrepo.services.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from promptrepo.services.locks import lock_prompt
from promptrepo.services.principal import Principal

MESSAGE_MAX = 500


@dataclass
class ProposalView:
    id: str
    prompt_id: str
    label: str
    to_version: int | None
    arms: list[dict]
    base: str
    message: str
    proposer_id: str | None
    proposer_name: str
    status: str
    decided_by: str | None
    decider_name: str
    decision_reason: str
    decided_at: datetime | None
    created_at: datetime

    @property
    def change(self) -> str:
        """What it proposes, in words: "v4", "v3 90% / v4 10%" or "remove"."""
        if self.arms:
            return splits.describe([splits.Arm(a["version"], a["weight"]) for a in self.arms])
        return f"v{self.to_version}" if self.to_version else "remove"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "prompt_id": self.prompt_id,
            "label": self.label,
            "version": self.to_version,
            "arms": self.arms,
            "change": self.change,
            "base": self.base,
            "message": self.message,
            "proposer_id": self.proposer_id,
            "proposer_name": self.proposer_name,
            "status": self.status,
            "decided_by": self.decided_by,
            "decider_name": self.decider_name,
            "decision_reason": self.decision_reason,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "created_at": self.created_at.isoformat(),
        }


@dataclass
class ProposalDetail:
    proposal: ProposalView
    live: str  # what the label serves now
    stale: bool  # the label moved since the proposal was made
    rows: list[releases.SideBySideRow]
    setting_changes: list[str]
    checks: list[tuple[int, releases.CheckLine]]  # (version, check)
    test_failures: list[str]
    refusal: str = ""  # why approving now would be refused (stale, failing checks…)
    refusal_details: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the setting
def set_review_required(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str, required: bool
) -> Project:
    """The owner's project setting "production needs review"."""
    project = access.get_project(session, principal, project_id, need="manage")
    assert principal is not None
    project.production_needs_review = bool(required)
    session.add(project)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "project.review_required",
        "project",
        project.id,
        required=bool(required),
    )
    changes.project_changed(session, project)
    return project


# --------------------------------------------------------------------------- helpers
def live_state(session: Session, prompt_id: uuid.UUID, label: str) -> str:
    """What `label` serves now: "v3 90% / v4 10%" (a split), "v3", or "" (nothing)."""
    split = splits.arms_of(session, prompt_id, label)
    if split:
        return splits.describe(split)
    number = session.exec(
        select(Version.version)
        .join(VersionLabel, VersionLabel.version_id == Version.id)
        .where(VersionLabel.prompt_id == prompt_id, VersionLabel.name == label)
    ).first()
    return f"v{number}" if number else ""


def _reviewer_ids(session: Session, project: Project) -> list[uuid.UUID]:
    """Who may decide: the owner and the editors."""
    editors = session.exec(
        select(ProjectMember.user_id).where(
            ProjectMember.project_id == project.id, ProjectMember.role == "editor"
        )
    ).all()
    return [project.user_id, *editors]


def _view(session: Session, row: ReleaseProposal) -> ProposalView:
    proposer = decider = ""
    if row.proposer_id:
        proposer = session.exec(select(names.display_name(session, row.proposer_id))).first() or ""
    if row.decided_by:
        decider = session.exec(select(names.display_name(session, row.decided_by))).first() or ""
    return ProposalView(
        id=str(row.id),
        prompt_id=str(row.prompt_id),
        label=row.label,
        to_version=row.to_version,
        arms=list(row.arms or []),
        base=row.base,
        message=row.message,
        proposer_id=str(row.proposer_id) if row.proposer_id else None,
        proposer_name=proposer or "someone",
        status=row.status,
        decided_by=str(row.decided_by) if row.decided_by else None,
        decider_name=decider,
        decision_reason=row.decision_reason,
        decided_at=row.decided_at,
        created_at=row.created_at,
    )


def _team_only(session: Session, principal: Principal | None, project: Project) -> str:
    role = access.project_role(session, principal, project)
    if role is None:  # a reader of a public project
        raise PermissionDenied("Only the project's team sees its release proposals.")
    return role


def _load(
    session: Session, principal: Principal | None, proposal_id: uuid.UUID | str, *, write: bool
) -> tuple[ReleaseProposal, Prompt, Project]:
    try:
        pid = proposal_id if isinstance(proposal_id, uuid.UUID) else uuid.UUID(str(proposal_id))
    except ValueError:
        raise NotFound("Proposal not found.") from None
    row = session.get(ReleaseProposal, pid)
    if row is None:
        raise NotFound("Proposal not found.")
    try:
        prompt, project = access.get_prompt(session, principal, row.prompt_id, write=write)
    except NotFound:
        raise NotFound("Proposal not found.") from None
    _team_only(session, principal, project)
    return row, prompt, project


def _link(project: Project, prompt: Prompt, proposal_id: uuid.UUID) -> str:
    return f"{routes.prompt_editor_url(str(project.id), str(prompt.id))}?proposal={proposal_id}"


def _clean_message(message: str | None, what: str = "message") -> str:
    text = " ".join((message or "").split())
    if len(text) > MESSAGE_MAX:
        raise ValidationFailed(
            f"The {what} is too long (at most {MESSAGE_MAX} characters).",
            errors=[{"loc": [what], "msg": f"at most {MESSAGE_MAX} characters"}],
        )
    return text


# --------------------------------------------------------------------------- proposing
def propose(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    label: str = PRODUCTION_LABEL,
    to_version: int | None = None,
    arms: list[tuple[int, int]] | None = None,
    message: str = "",
) -> ProposalView:
    """Propose moving `label` to `to_version`, splitting it over `arms`, or (neither)
    removing it, with `message`. Refused (ValidationFailed) when the move would be refused
    anyway (failing checks, already so, no such label), and when the label needs no review
    (move it directly)."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    assert principal is not None
    label = versions.check_label_name(label)
    message = _clean_message(message)
    if not versions.needs_review(project, label):
        raise ValidationFailed(
            f"{label} needs no review in this project: move it directly.",
            errors=[{"loc": ["label"], "msg": "needs no review"}],
        )
    stored_arms: list[dict] = []
    if arms:
        checked = splits.check_arms(arms)
        preview = splits.split_preview(session, principal, prompt.id, label, checked)
        refusal, details = preview.refusal, preview.refusal_details
        stored_arms = [{"version": a.version, "weight": a.weight} for a in checked]
        to_version = None
        change = f"split {label} as {splits.describe(checked)}"
        targets = [a.version for a in checked]
    else:
        if to_version is not None:
            to_version = int(to_version)
        preview = releases.promotion_preview(session, principal, prompt.id, label, to_version)
        refusal, details = preview.refusal, preview.refusal_details
        change = f"move {label} to v{to_version}" if to_version else f"remove {label}"
        targets = [to_version] if to_version else []
    failures = []
    if label == PRODUCTION_LABEL:
        for number in targets:
            row = versions.version_row(session, prompt.id, number)
            failures += testcases.publish_test_failures(session, project, prompt.id, row)
    if refusal or failures:
        details = details + [f["msg"] for f in failures]
        raise ValidationFailed(
            (refusal or "The test cases do not pass.") + " Nothing was proposed.",
            errors=[{"loc": ["version"], "msg": d} for d in details] or None,
        )
    row = ReleaseProposal(
        prompt_id=prompt.id,
        label=label,
        to_version=to_version,
        arms=stored_arms,
        base=live_state(session, prompt.id, label),
        message=message,
        proposer_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "proposal.opened",
        "prompt",
        prompt.id,
        proposal=str(row.id),
        label=label,
        version=to_version,
        arms=stored_arms or None,
    )
    who = principal.name or principal.email
    text = f"{who} proposes to {change} of “{prompt.name}”" + (f": {message}" if message else ".")
    notifications.notify(
        session,
        principal,
        project,
        _reviewer_ids(session, project),
        kind="proposal.opened",
        text=text,
        link=_link(project, prompt, row.id),
        subject=f"Review requested: {prompt.name} ({label})",
    )
    changes.project_changed(session, project, touch=False)
    return _view(session, row)


# --------------------------------------------------------------------------- reading
def list_proposals(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    status: str | None = None,
    limit: int = 50,
) -> list[ProposalView]:
    """The prompt's proposals, open ones first, newest first. The project's team only."""
    prompt, project = access.get_prompt(session, principal, prompt_id)
    _team_only(session, principal, project)
    query = select(ReleaseProposal).where(ReleaseProposal.prompt_id == prompt.id)
    if status:
        query = query.where(ReleaseProposal.status == status)
    rows = session.exec(
        query.order_by(
            (ReleaseProposal.status != "open"),
            ReleaseProposal.created_at.desc(),
            ReleaseProposal.id,
        ).limit(max(1, min(limit, 100)))
    ).all()
    return [_view(session, row) for row in rows]


def proposal_detail(
    session: Session, principal: Principal | None, proposal_id: uuid.UUID | str
) -> ProposalDetail:
    """A proposal and what approving it would do now (see the module docstring)."""
    row, prompt, project = _load(session, principal, proposal_id, write=False)
    view = _view(session, row)
    live = live_state(session, prompt.id, row.label)
    stale = row.status == "open" and live != row.base
    checks: list[tuple[int, releases.CheckLine]] = []
    test_failures: list[str] = []
    refusal, details = "", []
    if row.arms:
        preview = splits.split_preview(
            session,
            principal,
            prompt.id,
            row.label,
            [(a["version"], a["weight"]) for a in row.arms],
        )
        rows, settings_changed, checks = preview.rows, [], list(preview.checks)
        refusal, details = preview.refusal, list(preview.refusal_details)
        targets = [a["version"] for a in row.arms]
    else:
        preview = releases.promotion_preview(
            session, principal, prompt.id, row.label, row.to_version
        )
        rows, settings_changed = preview.rows, preview.setting_changes
        checks = [(row.to_version or 0, c) for c in preview.checks]
        refusal, details = preview.refusal, list(preview.refusal_details)
        targets = [row.to_version] if row.to_version else []
    if row.label == PRODUCTION_LABEL:
        for number in targets:
            version = versions.version_row(session, prompt.id, number)
            test_failures += [
                f["msg"]
                for f in testcases.publish_test_failures(session, project, prompt.id, version)
            ]
    if stale:
        refusal = _stale_message(row, live)
    elif row.status != "open":
        refusal = f"This proposal was {row.status}."
    elif test_failures and not refusal:
        refusal = "The test cases do not pass."
    return ProposalDetail(
        proposal=view,
        live=live,
        stale=stale,
        rows=rows,
        setting_changes=settings_changed,
        checks=checks,
        test_failures=test_failures,
        refusal=refusal,
        refusal_details=details,
    )


def _stale_message(row: ReleaseProposal, live: str) -> str:
    was = row.base or "nothing"
    return (
        f"This proposal is stale: {row.label} served {was} when it was proposed and serves "
        f"{live or 'nothing'} now. Reject or withdraw it and propose again."
    )


# --------------------------------------------------------------------------- deciding
def _open_for_decision(
    session: Session, principal: Principal | None, proposal_id: uuid.UUID | str
) -> tuple[ReleaseProposal, Prompt, Project]:
    row, prompt, project = _load(session, principal, proposal_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    session.refresh(row)  # read again under the prompt's lock: one decision wins
    if row.status != "open":
        raise Conflict(f"This proposal was already {row.status}.")
    return row, prompt, project


def _decide(
    session: Session,
    principal: Principal,
    row: ReleaseProposal,
    status: str,
    reason: str,
) -> None:
    """Close the proposal as `status` (approved, rejected, withdrawn), in the audit log too."""
    row.status = status
    row.decided_by = principal.user_id
    row.decided_at = utcnow()
    row.decision_reason = reason
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        f"proposal.{status}",
        "prompt",
        row.prompt_id,
        proposal=str(row.id),
    )


def _tell_proposer(
    session: Session,
    principal: Principal,
    project: Project,
    prompt: Prompt,
    row: ReleaseProposal,
    change: str,
    news: str,
) -> None:
    """Notify the proposer (if still a user) that their proposal was approved or rejected:
    "<decider> <news>"."""
    who = principal.name or principal.email
    notifications.notify(
        session,
        principal,
        project,
        [row.proposer_id] if row.proposer_id else [],
        kind=f"proposal.{row.status}",
        text=f"{who} {news}",
        link=_link(project, prompt, row.id),
        subject=f"{row.status.capitalize()}: {prompt.name} ({row.label} → {change})",
    )


def approve(
    session: Session,
    principal: Principal | None,
    proposal_id: uuid.UUID | str,
    *,
    reason: str = "",
) -> ProposalView:
    """Approve and apply the proposal (see the module docstring). Self-approval is refused
    (PermissionDenied); a stale proposal is refused (Conflict); failing checks refuse the
    move as they would any publish (ValidationFailed) and leave the proposal open."""
    row, prompt, project = _open_for_decision(session, principal, proposal_id)
    assert principal is not None
    reason = _clean_message(reason, "reason")
    if row.proposer_id == principal.user_id:
        raise PermissionDenied(
            "You proposed this move, so someone else must approve it: another editor or the "
            "project's owner."
        )
    live = live_state(session, prompt.id, row.label)
    if live != row.base:
        raise Conflict(_stale_message(row, live))
    view = _view(session, row)
    note = f"approved proposal by {view.proposer_name}"
    if row.message:
        note += f": {row.message}"
    if reason:
        note += f" (approver: {reason})"
    if row.arms:
        splits.set_split(
            session,
            principal,
            prompt.id,
            row.label,
            [(a["version"], a["weight"]) for a in row.arms],
            reason=note,
            reviewed=True,
        )
    else:
        releases.promote(
            session, principal, prompt.id, row.label, row.to_version, reason=note, reviewed=True
        )
    _decide(session, principal, row, "approved", reason)
    _tell_proposer(
        session,
        principal,
        project,
        prompt,
        row,
        view.change,
        f"approved your proposal to move {row.label} of “{prompt.name}” to "
        f"{view.change}; it is live.",
    )
    return _view(session, row)


def reject(
    session: Session,
    principal: Principal | None,
    proposal_id: uuid.UUID | str,
    *,
    reason: str,
) -> ProposalView:
    """Reject the proposal, saying why (required). The proposer withdraws instead."""
    row, prompt, project = _open_for_decision(session, principal, proposal_id)
    assert principal is not None
    reason = _clean_message(reason, "reason")
    if not reason:
        raise ValidationFailed(
            "Say why you reject it, so the proposer knows what to change.",
            errors=[{"loc": ["reason"], "msg": "required"}],
        )
    if row.proposer_id == principal.user_id:
        raise PermissionDenied("This is your own proposal: withdraw it instead.")
    _decide(session, principal, row, "rejected", reason)
    view = _view(session, row)
    _tell_proposer(
        session,
        principal,
        project,
        prompt,
        row,
        view.change,
        f"rejected your proposal for {row.label} of “{prompt.name}” ({view.change}): {reason}",
    )
    changes.project_changed(session, project, touch=False)
    return view


def withdraw(
    session: Session, principal: Principal | None, proposal_id: uuid.UUID | str
) -> ProposalView:
    """The proposer takes their open proposal back."""
    row, prompt, project = _open_for_decision(session, principal, proposal_id)
    assert principal is not None
    if row.proposer_id != principal.user_id:
        raise PermissionDenied("Only the person who proposed this can withdraw it.")
    _decide(session, principal, row, "withdrawn", "")
    changes.project_changed(session, project, touch=False)
    return _view(session, row)
