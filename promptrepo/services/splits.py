"""Traffic splits: a label serving several versions by weight (production = v3 90 %, v4 10 %).

A split is a set of arms in `label_splits` (version, weight 1–99, summing to 100); the label's
one `version_labels` row points at the heaviest arm, so code that knows nothing of splits reads
a valid label. Setting a split goes through the same preview and confirmation as any label move
(`split_preview`, then `set_split`, which records the move in `label_events` with a reason like
"split v3 90% / v4 10%"); moving the label to one version (`releases.promote`, so also publish
and rollback) ends it, and so does removing the label.

Serving picks an arm per request (`pick`): from a caller's key (sha256 of prompt, label and key
→ a number uniform in [0, 1) → the arm whose cumulative weight passes it), so one user always
gets the same version, or at random without a key. The cache holds every arm under the label's
entry (services/serving.py), so the pick needs no database query.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import Session, select

from promptrepo.models import PRODUCTION_LABEL, LabelEvent, LabelSplit, Version, VersionLabel
from promptrepo.services import access, audit, changes, releases, testcases, versions
from promptrepo.services.errors import ValidationFailed
from promptrepo.services.locks import lock_prompt
from promptrepo.services.principal import Principal

MAX_ARMS = 4
MAX_KEY_LENGTH = 200
_SCALE = float(1 << 64)


@dataclass(frozen=True)
class Arm:
    version: int
    weight: int


def describe(arms: Sequence[Arm]) -> str:
    """ "v3 90% / v4 10%"."""
    return " / ".join(f"v{arm.version} {arm.weight}%" for arm in arms)


# --------------------------------------------------------------------------- picking
def share(prompt_id: str, label: str, key: str) -> float:
    """Where `key` falls in [0, 1) for this prompt's label: the same key always lands in the
    same place, and different prompts or labels place a key independently."""
    digest = hashlib.sha256(f"{prompt_id}\x1f{label}\x1f{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def pick(weights: Sequence[int], point: float) -> int:
    """The index of the arm whose cumulative weight (out of their sum) first exceeds `point`."""
    total = sum(weights)
    edge = 0
    for index, weight in enumerate(weights):
        edge += weight
        if point * total < edge:
            return index
    return len(weights) - 1


def point_for(prompt_id: str, label: str, key: str | None) -> float:
    """A caller's key as a point in [0, 1), or a random point without one."""
    if key is None:
        return random.random()
    return share(prompt_id, label, key)


def check_key(key: str | None, loc: list[str]) -> str | None:
    """A caller's split key: any text up to MAX_KEY_LENGTH characters (ValidationFailed)."""
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH:
        message = f"The key must be 1–{MAX_KEY_LENGTH} characters."
        raise ValidationFailed(message, errors=[{"loc": loc, "msg": message}])
    return key


# --------------------------------------------------------------------------- reading
def parse_stored(text: str | None) -> list[Arm]:
    """The serving read's `version:weight,…` aggregate as arms, ordered by version."""
    if not text:
        return []
    arms = []
    for part in text.split(","):
        number, _, weight = part.partition(":")
        arms.append(Arm(int(number), int(weight)))
    return sorted(arms, key=lambda arm: arm.version)


def arms_of(session: Session, prompt_id: uuid.UUID, label: str) -> list[Arm]:
    """The split of `label` (empty when it serves one version), ordered by version."""
    rows = session.exec(
        select(Version.version, LabelSplit.weight)
        .join(Version, Version.id == LabelSplit.version_id)
        .where(LabelSplit.prompt_id == prompt_id, LabelSplit.label == label)
        .order_by(Version.version)
    ).all()
    return [Arm(number, weight) for number, weight in rows]


def splits_of_prompt(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str
) -> dict[str, list[Arm]]:
    """Every split label of a prompt → its arms (for the prompt page)."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    rows = session.exec(
        select(LabelSplit.label, Version.version, LabelSplit.weight)
        .join(Version, Version.id == LabelSplit.version_id)
        .where(LabelSplit.prompt_id == prompt.id)
        .order_by(LabelSplit.label, Version.version)
    ).all()
    result: dict[str, list[Arm]] = {}
    for label, number, weight in rows:
        result.setdefault(label, []).append(Arm(number, weight))
    return result


# --------------------------------------------------------------------------- validating
def check_arms(arms: Sequence[tuple[int, int] | Arm]) -> list[Arm]:
    """2–MAX_ARMS distinct versions with whole weights 1–99 that sum to 100, ordered by
    version; ValidationFailed naming each problem otherwise."""
    cleaned = [arm if isinstance(arm, Arm) else Arm(int(arm[0]), int(arm[1])) for arm in arms]
    errors = []
    if not 2 <= len(cleaned) <= MAX_ARMS:
        errors.append({"loc": ["body", "arms"], "msg": f"A split has 2–{MAX_ARMS} versions."})
    seen: set[int] = set()
    for index, arm in enumerate(cleaned):
        if arm.version < 1:
            errors.append({"loc": ["body", "arms", index, "version"], "msg": "No such version."})
        if arm.version in seen:
            errors.append(
                {
                    "loc": ["body", "arms", index, "version"],
                    "msg": f"Version {arm.version} appears twice.",
                }
            )
        seen.add(arm.version)
        if not 1 <= arm.weight <= 99:
            errors.append(
                {
                    "loc": ["body", "arms", index, "weight"],
                    "msg": "Each weight is a whole percentage from 1 to 99.",
                }
            )
    total = sum(arm.weight for arm in cleaned)
    if cleaned and total != 100:
        errors.append({"loc": ["body", "arms"], "msg": f"The weights sum to {total}, not 100."})
    if errors:
        raise ValidationFailed(errors[0]["msg"], errors=errors)
    return sorted(cleaned, key=lambda arm: arm.version)


def _primary(arms: list[Arm], current: int | None) -> Arm:
    """The arm `version_labels` points at: the heaviest; on a tie the live version, else the
    newest."""
    return max(arms, key=lambda arm: (arm.weight, arm.version == current, arm.version))


def _current_version(session: Session, prompt_id: uuid.UUID, label: str) -> int | None:
    return session.exec(
        select(Version.version)
        .join(VersionLabel, VersionLabel.version_id == Version.id)
        .where(VersionLabel.prompt_id == prompt_id, VersionLabel.name == label)
    ).first()


# --------------------------------------------------------------------------- the preview
@dataclass
class SplitPreview:
    label: str
    arms: list[Arm]
    current_version: int | None  # what the label points at now
    current_split: list[Arm]  # the split live now (empty: one version)
    compared_version: int | None  # the version the diff shows against what is live
    rows: list[releases.SideBySideRow]
    checks: list[tuple[int, releases.CheckLine]]  # (version, check) of each arm not live now
    checks_required: bool
    history: list[releases.LabelEventInfo]
    refusal: str = ""
    refusal_details: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        return describe(self.arms)

    @property
    def allowed(self) -> bool:
        return not self.refusal


def split_preview(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    label: str,
    arms: Sequence[tuple[int, int] | Arm],
) -> SplitPreview:
    """What splitting `label` over `arms` would do: the diff from what is live to the new
    version, the release checks of every version not live now (required for production, as
    publishing), the label's history, and why it would be refused. Bad arms raise
    ValidationFailed; readers may look, the owner and editors may split."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    label = versions.check_label_name(label)
    arms = check_arms(arms)
    for arm in arms:
        versions.version_row(session, prompt.id, arm.version)  # NotFound names a missing one
    current = _current_version(session, prompt.id, label)
    live_split = arms_of(session, prompt.id, label)
    new_arms = [arm for arm in arms if arm.version != current] or arms
    compared = max(new_arms, key=lambda arm: (arm.weight, arm.version)).version
    first = releases.promotion_preview(session, principal, prompt.id, label, compared)
    checks: list[tuple[int, releases.CheckLine]] = []
    refusals: list[str] = []
    details: list[str] = []
    for arm in new_arms:
        preview = (
            first
            if arm.version == compared
            else releases.promotion_preview(session, principal, prompt.id, label, arm.version)
        )
        checks.extend((arm.version, check) for check in preview.checks)
        if preview.refusal and not preview.refusal.endswith(f"points at version {arm.version}."):
            refusals.append(preview.refusal)
            details.extend(preview.refusal_details)
    refusal = " ".join(refusals)
    if not refusal and live_split == arms:
        refusal = f"{label} already serves {describe(arms)}."
    return SplitPreview(
        label=label,
        arms=arms,
        current_version=current,
        current_split=live_split,
        compared_version=compared,
        rows=first.rows,
        checks=checks,
        checks_required=label == PRODUCTION_LABEL,
        history=first.history,
        refusal=refusal,
        refusal_details=details,
    )


# --------------------------------------------------------------------------- applying
def set_split(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    label: str,
    arms: Sequence[tuple[int, int] | Arm],
    *,
    reason: str = "",
    reviewed: bool = False,
) -> list[Arm]:
    """Serve `label` from `arms` (replacing any split it had), recorded in the label's history
    as "split v3 90% / v4 10%" with `reason`. Production splits only over versions that pass
    the release checks (ValidationFailed listing the failures, as publishing)."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    assert principal is not None
    label = versions.check_label_name(label)
    versions.refuse_unreviewed(project, prompt.id, label, reviewed)
    arms = check_arms(arms)
    reason = versions._clean_reason(reason)
    rows = {arm.version: versions.version_row(session, prompt.id, arm.version) for arm in arms}
    if label == PRODUCTION_LABEL:
        for row in rows.values():
            check = versions.release_check(
                row.content,
                row.variables,
                row.validators,
                row.template_dialect,
                type=row.type,
                messages=row.messages,
            )
            if not check.passed:
                raise versions.publish_refusal(row, check)
            testcases.ensure_cases_pass_for_publish(session, project, prompt.id, row)
    if arms_of(session, prompt.id, label) == arms:
        raise ValidationFailed(
            f"{label} already serves {describe(arms)}.",
            errors=[{"loc": ["body", "arms"], "msg": "already so"}],
        )
    existing = session.exec(
        select(VersionLabel).where(VersionLabel.prompt_id == prompt.id, VersionLabel.name == label)
    ).first()
    previous = None
    if existing is not None:
        previous_row = session.get(Version, existing.version_id)
        previous = previous_row.version if previous_row else None
    primary = rows[_primary(arms, previous).version]
    if existing is None:
        existing = VersionLabel(prompt_id=prompt.id, name=label, version_id=primary.id)
    existing.version_id = primary.id
    existing.updated_by = principal.user_id
    existing.updated_at = versions.utcnow()
    session.add(existing)
    session.exec(
        delete(LabelSplit).where(LabelSplit.prompt_id == prompt.id, LabelSplit.label == label)
    )
    for arm in arms:
        session.add(
            LabelSplit(
                prompt_id=prompt.id, label=label, version_id=rows[arm.version].id, weight=arm.weight
            )
        )
    text = f"split {describe(arms)}"
    session.add(
        LabelEvent(
            prompt_id=prompt.id,
            label=label,
            from_version=previous,
            to_version=primary.version,
            actor_id=principal.user_id,
            reason=versions._clean_reason(f"{text}: {reason}" if reason else text),
        )
    )
    session.flush()
    if label == PRODUCTION_LABEL:
        versions._sync_published(session, prompt.id, primary.id)
    audit.record(
        session,
        principal.user_id,
        "label.split",
        "prompt",
        prompt.id,
        label=label,
        arms=[{"version": arm.version, "weight": arm.weight} for arm in arms],
        previous_version=previous,
    )
    changes.project_changed(session, project)
    changes.label_moved(session, project, prompt, label, primary.version, previous)
    return arms
