"""Validators: checks run on a prompt's rendered text. Failing ones block publishing.

Four types, each with a pydantic config:

- `regex`: `pattern`, `must_match` (default true), `ignore_case`. The pattern is compiled when
  saved (a bad one is refused with the compiler's message) and run with a time limit
  (`REGEX_TIMEOUT_SECONDS`) by the `regex` package, so a catastrophic pattern fails the check
  instead of hanging the server; all validators of a render also share its wall-clock
  budget, in a render worker process (`services/render_pool.py`).
- `length`: `min` and/or `max`, `unit` chars|words.
- `contains`: `text` (one string or a list), `mode` any|all, `case_insensitive`, and
  `must_not_contain` (then none of the texts may appear; `mode` is ignored).
- `custom`: `expression`, a sandboxed Jinja2 expression over `text` and the variables that
  must be true (e.g. `text | length < 4000 and 'JSON' in text`), and the `message` shown when
  it is not.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, func, select

from promptrepo.models import Project, Prompt, Validator
from promptrepo.services import access, audit, changes
from promptrepo.services.errors import NotFound, ValidationFailed
from promptrepo.services.locks import lock_prompt
from promptrepo.services.principal import Principal

# The checks themselves live in validator_rules (the render workers import only that).
from promptrepo.services.validator_rules import (  # noqa: F401 (re-exported)
    CONFIG_MODELS,
    NOT_RUN_INVALID_VALUE,
    NOT_RUN_NO_TEXT,
    REGEX_TIMEOUT_SECONDS,
    ContainsConfig,
    CustomConfig,
    LengthConfig,
    RegexConfig,
    ValidatorResult,
    describe,
    run_validators,
    validate_config,
)

MAX_VALIDATORS_PER_PROMPT = 50


def snapshot(validators: Iterable[Validator]) -> list[dict[str, Any]]:
    """Validators as stored in a version."""
    return [
        {"type": v.type, "config": v.config, "order": v.order}
        for v in sorted(validators, key=lambda v: (v.order, v.created_at))
    ]


# --------------------------------------------------------------------------- CRUD
def list_validators(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str
) -> list[Validator]:
    """A prompt's validators in order."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    return _validators_of(session, prompt.id)


def _validators_of(session: Session, prompt_id: uuid.UUID) -> list[Validator]:
    return list(
        session.exec(
            select(Validator)
            .where(Validator.prompt_id == prompt_id)
            .order_by(Validator.order, Validator.created_at)
        ).all()
    )


def add_validator(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    type: str,
    config: dict[str, Any],
) -> Validator:
    """Add a validator (config checked first) at the end of the prompt's list."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    normalised = validate_config(type, config)
    # Count and place under the prompt's lock: concurrent adds get distinct positions and
    # together never pass the per-prompt maximum.
    prompt, project = lock_prompt(session, prompt, project)
    count, last = session.exec(
        select(func.count(), func.max(Validator.order)).where(Validator.prompt_id == prompt.id)
    ).one()
    if count >= MAX_VALIDATORS_PER_PROMPT:
        raise ValidationFailed(
            f"A prompt can have at most {MAX_VALIDATORS_PER_PROMPT} validators.",
            errors=[{"loc": ["validators"], "msg": "too many validators"}],
        )
    validator = Validator(
        prompt_id=prompt.id, type=type, config=normalised, order=(last or 0) + 1 if count else 0
    )
    session.add(validator)
    session.flush()
    assert principal is not None
    audit.record(
        session,
        principal.user_id,
        "validator.added",
        "prompt",
        prompt.id,
        validator_id=str(validator.id),
        type=type,
        config=normalised,
    )
    changes.project_changed(session, project)
    return validator


def update_validator(
    session: Session,
    principal: Principal | None,
    validator_id: uuid.UUID | str,
    *,
    config: dict[str, Any],
    type: str | None = None,
) -> Validator:
    """Replace a validator's config (and optionally its type)."""
    validator, project = access.get_validator(session, principal, validator_id, write=True)
    new_type = type or validator.type
    normalised = validate_config(new_type, config)
    validator, project = _lock_validator(session, validator, project)
    before = {"type": validator.type, "config": validator.config}
    validator.type = new_type
    validator.config = normalised
    session.add(validator)
    session.flush()
    assert principal is not None
    audit.record(
        session,
        principal.user_id,
        "validator.updated",
        "prompt",
        validator.prompt_id,
        validator_id=str(validator.id),
        before=before,
        after={"type": new_type, "config": normalised},
    )
    changes.project_changed(session, project)
    return validator


def _lock_validator(
    session: Session, validator: Validator, project: Project
) -> tuple[Validator, Project]:
    """Lock the validator's prompt (and project) and read the validator again under the lock;
    NotFound when another request deleted it meanwhile (instead of a failed UPDATE)."""
    prompt = session.get(Prompt, validator.prompt_id)
    if prompt is None:
        raise NotFound("Validator not found.")
    _, project = lock_prompt(session, prompt, project)
    current = session.exec(
        select(Validator)
        .where(Validator.id == validator.id)
        .execution_options(populate_existing=True)
    ).first()
    if current is None:
        raise NotFound("Validator not found.")
    return current, project


def delete_validator(
    session: Session, principal: Principal | None, validator_id: uuid.UUID | str
) -> None:
    """Delete a validator (versions keep their own snapshot of it)."""
    validator, project = access.get_validator(session, principal, validator_id, write=True)
    validator, project = _lock_validator(session, validator, project)
    assert principal is not None
    audit.record(
        session,
        principal.user_id,
        "validator.deleted",
        "prompt",
        validator.prompt_id,
        validator_id=str(validator.id),
        type=validator.type,
        config=validator.config,
    )
    session.delete(validator)
    session.flush()
    changes.project_changed(session, project)


def replace_validators(
    session: Session, prompt_id: uuid.UUID, snapshot_items: list[dict[str, Any]]
) -> None:
    """Replace a prompt's validators with a version's snapshot (used by restore; the caller
    has checked access and records the audit entry)."""
    for validator in _validators_of(session, prompt_id):
        session.delete(validator)
    session.flush()
    for index, item in enumerate(snapshot_items):
        session.add(
            Validator(
                prompt_id=prompt_id,
                type=item["type"],
                config=item.get("config") or {},
                order=item.get("order", index),
            )
        )
    session.flush()
