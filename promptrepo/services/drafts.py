"""A prompt's working draft (the `prompts` row), saved with optimistic concurrency.

Every save names the revision it was based on. If someone saved in between (another tab, the
API), the save is refused with `DraftConflict`, which carries the server's current draft so
the editor can compare, reload or overwrite (`force=True`) without losing the user's text.
The comparison and the write are one compare-and-set: the save locks the project's and the
prompt's rows (`services/locks.py`, on PostgreSQL and SQLite) and compares the revision read
under the lock, so of N saves on one base exactly one wins and the others get the conflict.
Drafts may contain template syntax errors (the user is mid-edit); versions may not.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from promptrepo.models import Prompt
from promptrepo.services import access, audit, changes, chat, model_config, templates
from promptrepo.services import variables as variable_specs
from promptrepo.services.errors import Conflict, ValidationFailed
from promptrepo.services.locks import lock_prompt
from promptrepo.services.principal import Principal

MAX_CONTENT_CHARS = 100_000
MAX_NAME_CHARS = 100


class DraftConflict(Conflict):
    """The draft changed since `base_revision`; `current` is the server's draft now."""

    def __init__(self, message: str, *, prompt: Prompt) -> None:
        self.current: dict[str, Any] = {
            "revision": prompt.revision,
            "name": prompt.name,
            "content": prompt.content,
            "variables": prompt.variables,
            "type": prompt.type,
            "messages": prompt.messages,
            "config": prompt.config,
            "updated_at": prompt.updated_at.isoformat() if prompt.updated_at else None,
        }
        super().__init__(
            message,
            errors=[
                {
                    "loc": ["base_revision"],
                    "msg": message,
                    "current_revision": prompt.revision,
                }
            ],
        )
        self.current_revision = prompt.revision


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "The prompt needs a name.", errors=[{"loc": ["name"], "msg": "cannot be empty"}]
        )
    if len(name) > MAX_NAME_CHARS:
        raise ValidationFailed(
            f"The name is at most {MAX_NAME_CHARS} characters.",
            errors=[{"loc": ["name"], "msg": f"at most {MAX_NAME_CHARS} characters"}],
        )
    return name


def check_content(content: str) -> str:
    if not isinstance(content, str):
        raise ValidationFailed(
            "Content must be text.", errors=[{"loc": ["content"], "msg": "must be a string"}]
        )
    if len(content) > MAX_CONTENT_CHARS:
        raise ValidationFailed(
            f"A prompt is at most {MAX_CONTENT_CHARS:,} characters (this one has "
            f"{len(content):,}).",
            errors=[{"loc": ["content"], "msg": f"at most {MAX_CONTENT_CHARS} characters"}],
        )
    return content


def save_draft(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    base_revision: int | None,
    content: str | None = None,
    name: str | None = None,
    variables: dict[str, Any] | None = None,
    force: bool = False,
    action: str = "prompt.saved",
    type: str | None = None,
    messages: list[dict[str, Any]] | None = None,
    config: dict[str, Any] | None = None,
    origin: str | None = None,
) -> Prompt:
    """Save the draft's content, name and/or variables; returns the prompt with its new revision.

    `base_revision` is the revision the caller started from: a different current revision
    raises DraftConflict (unless `force`). When the content changes, the variables are synced
    with it (`variables.sync_with_content`). A save that changes nothing keeps the revision.
    `force` overwrites whatever revision is current when the save runs; the audit entry names
    that revision (`overwrote_revision`), so a forced save never hides what it replaced.
    `type` (text | chat), `messages` (a chat prompt's templates, `services/chat.py`) and
    `config` (model settings, `services/model_config.py`) are validated before anything is
    written; a chat prompt's variables follow its messages. `origin` (e.g. the editor tab
    that saves) goes into the change message, so that its sender can ignore its own save.
    """
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    assert principal is not None
    prompt, project = lock_prompt(session, prompt, project)
    if not force and base_revision is not None and base_revision != prompt.revision:
        raise DraftConflict(
            f"This prompt was changed elsewhere (now at revision {prompt.revision}, "
            f"you started from {base_revision}).",
            prompt=prompt,
        )
    if base_revision is None and not force:
        raise ValidationFailed(
            "base_revision is required (the revision your edit started from).",
            errors=[{"loc": ["base_revision"], "msg": "required"}],
        )

    new_name = clean_name(name) if name is not None else prompt.name
    new_content = check_content(content) if content is not None else prompt.content
    new_variables = (
        variable_specs.validate_spec(variables)
        if variables is not None
        else dict(prompt.variables or {})
    )
    new_type = chat.check_type(type) if type is not None else prompt.type
    new_messages = (
        chat.validate_messages(messages) if messages is not None else list(prompt.messages or [])
    )
    new_config = (
        model_config.validate_config(config) if config is not None else dict(prompt.config or {})
    )
    body_changed = content is not None or messages is not None or type is not None
    if new_type == "chat":
        if (body_changed or variables is not None) and chat.check_syntax(new_messages) is None:
            detected = chat.detect_variables(new_messages)
            hints = chat.variable_hints(new_messages)
            new_variables = variable_specs.sync_with_content(new_variables, detected, hints)
    elif body_changed or variables is not None:
        analysis = templates.analyze(new_content)
        if analysis.error is None:
            new_variables = variable_specs.sync_with_content(
                new_variables, analysis.variables, analysis.hints
            )

    changed = [
        field
        for field, old, new in (
            ("name", prompt.name, new_name),
            ("content", prompt.content, new_content),
            ("variables", prompt.variables, new_variables),
            ("type", prompt.type, new_type),
            ("messages", prompt.messages, new_messages),
            ("config", prompt.config, new_config),
        )
        if old != new
    ]
    if not changed:
        return prompt

    overwritten = prompt.revision
    prompt.name = new_name
    prompt.content = new_content
    prompt.variables = new_variables
    prompt.type = new_type
    prompt.messages = new_messages
    prompt.config = new_config
    prompt.revision = overwritten + 1
    session.add(prompt)
    session.flush()
    if action == "prompt.saved" and not force:  # autosave: one entry per stretch of editing
        audit.record_edit(
            session,
            principal.user_id,
            action,
            "prompt",
            prompt.id,
            revision=prompt.revision,
            fields=changed,
        )
    else:
        audit.record(
            session,
            principal.user_id,
            action,
            "prompt",
            prompt.id,
            revision=prompt.revision,
            fields=changed,
            forced=force,
            base_revision=base_revision,
            overwrote_revision=overwritten,
        )
    detail = {"prompt_id": prompt.id, "revision": prompt.revision}
    if origin:
        detail["origin"] = origin
    changes.project_changed(session, project, kind="draft", detail=detail)
    return prompt
