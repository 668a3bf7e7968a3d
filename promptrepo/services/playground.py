"""The playground: run a prompt (a version or the draft) against a model and keep every run.

A run goes in three steps so no database session is held while a model answers:
`prepare_run` renders the prompt, merges the settings, stores the run as `running` and returns
a `RunPlan` (with the connection's key, server-side only); the caller streams with
`llm.stream_chat` / `llm.complete`; `finish_run` stores the output, usage, latency, cost and
error (or `stopped`). `rerun` prepares the same inputs again; `compare_runs` puts two runs
side by side with a line diff of their outputs. Runs are the prompt owner's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, func, select

from promptrepo.models import PlaygroundRun, utcnow
from promptrepo.services import access, model_config, providers, versions
from promptrepo.services.errors import NotFound, ValidationFailed
from promptrepo.services.principal import Principal

MAX_RUNS_PAGE = 100


@dataclass
class RunPlan:
    run_id: str
    target: providers.Target
    model: str
    messages: list[dict[str, str]]
    params: dict[str, Any]


@dataclass
class RunView:
    id: str
    prompt_id: str
    source: str  # "v3" or "draft r12"
    version: int | None
    revision: int | None
    provider: str
    model: str
    status: str
    output: str
    error: str
    variables: dict[str, Any]
    placeholders: dict[str, Any]
    config: dict[str, Any]
    messages: list[dict[str, Any]]
    input_tokens: int | None
    output_tokens: int | None
    first_token_ms: float | None
    total_ms: float | None
    cost: float | None
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _view(run: PlaygroundRun) -> RunView:
    return RunView(
        id=str(run.id),
        prompt_id=str(run.prompt_id),
        source=f"v{run.version}" if run.version is not None else f"draft r{run.revision}",
        version=run.version,
        revision=run.revision,
        provider=run.provider,
        model=run.model,
        status=run.status,
        output=run.output,
        error=run.error,
        variables=run.variables or {},
        placeholders=run.placeholders or {},
        config=run.config or {},
        messages=run.messages or [],
        input_tokens=run.input_tokens,
        output_tokens=run.output_tokens,
        first_token_ms=run.first_token_ms,
        total_ms=run.total_ms,
        cost=run.cost,
        created_at=run.created_at.isoformat(),
    )


def rendered_for_model(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    version: int | None,
    values: dict[str, Any],
    placeholders: dict[str, Any] | None,
) -> tuple[versions.ResolvedPrompt, list[dict[str, str]]]:
    """The messages a model receives for a version (or the draft when `version` is None): a
    chat prompt's rendered messages, or a text prompt as one user message."""
    resolved = versions.resolve(
        session, principal, prompt_id, version=version, draft=version is None
    )
    body = versions.render_body(
        resolved.type,
        resolved.content,
        resolved.messages,
        resolved.variables,
        [],
        values or {},
        placeholders,
        resolved.template_dialect,
    )
    messages = (
        body.messages if body.messages is not None else [{"role": "user", "content": body.text}]
    )
    return resolved, messages


def effective_config(base: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """The version's settings with the playground's overrides on top (a None value removes)."""
    merged = dict(base or {})
    for key, value in (overrides or {}).items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return model_config.validate_config(merged)


def prepare_run(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    provider: str,
    version: int | None = None,
    values: dict[str, Any] | None = None,
    placeholders: dict[str, Any] | None = None,
    config_overrides: dict[str, Any] | None = None,
) -> RunPlan:
    """Render and store a run as `running`; the caller then calls the model and `finish_run`.
    Any member may run (with their own provider keys); a public reader may not."""
    prompt, _ = access.get_prompt(session, principal, prompt_id, need="member")
    assert principal is not None
    target = providers.target(session, principal, provider)
    resolved, messages = rendered_for_model(
        session,
        principal,
        prompt.id,
        version=version,
        values=values or {},
        placeholders=placeholders,
    )
    config = effective_config(resolved.config, config_overrides)
    model = config.get("model") or target.default_model
    if not model:
        raise ValidationFailed(
            f"Choose a model: set `model` in the settings or a default model on '{target.name}'.",
            errors=[{"loc": ["config", "model"], "msg": "required"}],
        )
    run = PlaygroundRun(
        prompt_id=prompt.id,
        user_id=principal.user_id,
        version=resolved.version,
        revision=prompt.revision if resolved.version is None else None,
        provider=target.name,
        model=model,
        variables=values or {},
        placeholders=placeholders or {},
        config=config,
        messages=messages,
    )
    session.add(run)
    session.flush()
    return RunPlan(
        run_id=str(run.id),
        target=target,
        model=model,
        messages=messages,
        params=model_config.request_parameters(config),
    )


def _own_run(
    session: Session, principal: Principal | None, run_id: uuid.UUID | str
) -> PlaygroundRun:
    try:
        rid = uuid.UUID(str(run_id))
    except ValueError:
        raise NotFound("Run not found.") from None
    run = session.get(PlaygroundRun, rid)
    if run is None:
        raise NotFound("Run not found.")
    access.get_prompt(session, principal, run.prompt_id, need="member")  # not yours: not found
    assert principal is not None
    if run.user_id != principal.user_id:  # a member's runs are their own (their provider keys)
        raise NotFound("Run not found.")
    return run


def finish_run(
    session: Session,
    principal: Principal | None,
    run_id: uuid.UUID | str,
    *,
    output: str,
    status: str,
    error: str = "",
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    first_token_ms: float | None = None,
    total_ms: float | None = None,
) -> RunView:
    """Store how a run ended (done, error or stopped), with the cost when the model's price
    is in the user's table."""
    run = _own_run(session, principal, run_id)
    assert principal is not None
    if status not in ("done", "error", "stopped"):
        raise ValidationFailed(f"Unknown run status {status!r}.")
    run.output, run.status, run.error = output, status, error
    run.input_tokens, run.output_tokens = input_tokens, output_tokens
    run.first_token_ms, run.total_ms = first_token_ms, total_ms
    price = providers.price_for(session, principal.user_id, run.model)
    run.cost = (
        price.cost(input_tokens, output_tokens) if price and input_tokens is not None else None
    )
    run.finished_at = utcnow()
    session.add(run)
    session.flush()
    return _view(run)


def list_runs(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[RunView], int]:
    """A page of the prompt's runs, newest first, and how many there are."""
    prompt, project = access.get_prompt(session, principal, prompt_id, need="member")
    assert principal is not None
    limit = max(1, min(MAX_RUNS_PAGE, int(limit)))
    where = [PlaygroundRun.prompt_id == prompt.id]
    if project.user_id != principal.user_id:  # the owner sees every run, a member their own
        where.append(PlaygroundRun.user_id == principal.user_id)
    total = session.exec(select(func.count()).select_from(PlaygroundRun).where(*where)).one()
    rows = session.exec(
        select(PlaygroundRun)
        .where(*where)
        .order_by(PlaygroundRun.created_at.desc(), PlaygroundRun.id)
        .offset(max(0, int(offset)))
        .limit(limit)
    ).all()
    return [_view(r) for r in rows], total


def get_run(session: Session, principal: Principal | None, run_id: uuid.UUID | str) -> RunView:
    return _view(_own_run(session, principal, run_id))


def rerun(session: Session, principal: Principal | None, run_id: uuid.UUID | str) -> RunPlan:
    """Prepare a new run with the same source, provider, variables, placeholders and settings
    (the draft as it is now, when the old run was on the draft)."""
    old = _own_run(session, principal, run_id)
    return prepare_run(
        session,
        principal,
        old.prompt_id,
        provider=old.provider,
        version=old.version,
        values=old.variables,
        placeholders=old.placeholders,
        config_overrides={**(old.config or {}), "model": old.model},
    )


def compare_runs(
    session: Session, principal: Principal | None, first_id: str, second_id: str
) -> dict[str, Any]:
    """Two runs of the same prompt side by side, with a line diff of their outputs and which
    settings differ."""
    first, second = _own_run(session, principal, first_id), _own_run(session, principal, second_id)
    if first.prompt_id != second.prompt_id:
        raise ValidationFailed("Compare two runs of the same prompt.")
    return {
        "left": _view(first).to_dict(),
        "right": _view(second).to_dict(),
        "output_diff": versions.diff_texts(first.output, second.output).to_dict(),
        "config": model_config.config_changes(first.config or {}, second.config or {}),
    }
