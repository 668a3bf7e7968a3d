"""Prompts: the ordered pieces of text inside a segment.

This module creates, renames, orders, moves and deletes prompts. Saving a prompt's content
and variables against a base revision belongs to services/drafts.py (the editor).
`order` stays 0..n-1 per segment: every change locks the project's row and renumbers.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from promptrepo.models import Prompt, Segment
from promptrepo.services import access, audit, changes, chat, model_config, plans
from promptrepo.services import variables as variable_specs
from promptrepo.services.changes import project_changed
from promptrepo.services.errors import NotFound, ValidationFailed
from promptrepo.services.locks import lock_owner, lock_prompt
from promptrepo.services.ordering import (
    clamp_index,
    clean_name,
    lock_project,
    prompts_in_order,
    renumber,
)
from promptrepo.services.principal import Principal
from promptrepo.services.tags import clean_tags

CONTENT_MAX = 100_000


def clean_content(content: Any, field: str = "content") -> str:
    text = str(content or "")
    if len(text) > CONTENT_MAX:
        msg = f"The prompt is {len(text):,} characters long; the limit is {CONTENT_MAX:,}."
        raise ValidationFailed(msg, errors=[{"loc": [field], "msg": msg}])
    return text


def list_prompts(
    session: Session, principal: Principal | None, segment_id: uuid.UUID | str
) -> list[Prompt]:
    """The segment's prompts in order (readable by the owner, or anyone when public)."""
    segment, _ = access.get_segment(session, principal, segment_id)
    return prompts_in_order(session, segment.id)


def create_prompt(
    session: Session,
    principal: Principal | None,
    segment_id: uuid.UUID | str,
    *,
    name: str,
    content: str = "",
    variables: dict[str, Any] | None = None,
    index: int | None = None,
    type: str = "text",
    messages: list[dict[str, Any]] | None = None,
    config: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> Prompt:
    """Add a prompt at `index` (default: the end) of a segment of the principal's project.
    A `chat` prompt takes `messages` (services/chat.py); `config` holds model settings;
    `tags` are checked by services/tags.py.

    The plan's prompt limit applies (PlanLimitReached, nothing created).
    """
    segment, project = access.get_segment(session, principal, segment_id, write=True)
    name = clean_name(name, what="prompt")
    content = clean_content(content)
    type = chat.check_type(type)
    messages = chat.validate_messages(messages or [])
    config = model_config.validate_config(config or {})
    tags = clean_tags(tags)
    if type == "chat" and not variables and chat.check_syntax(messages) is None:
        variables = variable_specs.sync_with_content(
            {}, chat.detect_variables(messages), chat.variable_hints(messages)
        )
    lock_owner(session, project.user_id)
    plans.ensure_can_add_prompts(session, project.user_id)
    project = lock_project(session, project.id)
    siblings = prompts_in_order(session, segment.id)
    prompt = Prompt(
        segment_id=segment.id,
        name=name,
        content=content,
        variables=dict(variables or {}),
        type=type,
        messages=messages,
        config=config,
        tags=tags,
        order=len(siblings),
    )
    position = len(siblings) if index is None else clamp_index(index, len(siblings))
    siblings.insert(position, prompt)
    session.add(prompt)
    renumber(session, siblings)
    project_changed(session, project)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "prompt.created",
        "prompt",
        prompt.id,
        name=name,
        segment=segment.name,
    )
    return prompt


def rename_prompt(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, name: str
) -> Prompt:
    """Rename a prompt of the principal's project (1–100 characters after trimming)."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    name = clean_name(name, what="prompt")
    prompt, project = lock_prompt(session, prompt, project)
    old_name = prompt.name
    prompt.name = name
    session.add(prompt)
    project_changed(session, project)
    if name != old_name:
        audit.record(
            session,
            principal.user_id,
            "prompt.renamed",
            "prompt",
            prompt.id,
            name=name,
            old_name=old_name,
        )
    session.flush()
    return prompt


def move_prompt(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    segment_id: uuid.UUID | str | None = None,
    new_index: int,
) -> Prompt:
    """Move a prompt to `new_index` in its segment, or in `segment_id` (same project).

    `new_index` is clamped to the target's size; -1 means the end.
    """
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    if segment_id is not None:
        target, target_project = access.get_segment(session, principal, segment_id, write=True)
        if target_project.id != project.id:
            raise NotFound("Segment not found.")
        target_segment_id = target.id
    else:
        target_segment_id = prompt.segment_id
    project = lock_project(session, project.id)
    # Read the prompt's place again under the lock: another tab may have moved it.
    current = session.exec(
        select(Prompt).where(Prompt.id == prompt.id).execution_options(populate_existing=True)
    ).first()
    if current is None:
        raise NotFound("Prompt not found.")
    if segment_id is None:
        target_segment_id = current.segment_id
    elif session.exec(select(Segment.id).where(Segment.id == target_segment_id)).first() is None:
        raise NotFound("Segment not found.")
    source_segment_id = current.segment_id
    source = prompts_in_order(session, source_segment_id)
    old_index = source.index(current)
    source.remove(current)
    if target_segment_id == source_segment_id:
        position = clamp_index(new_index, len(source))
        source.insert(position, current)
        renumber(session, source)
    else:
        target_list = prompts_in_order(session, target_segment_id)
        position = clamp_index(new_index, len(target_list))
        target_list.insert(position, current)
        current.segment_id = target_segment_id
        session.add(current)
        renumber(session, source)
        renumber(session, target_list)
    project_changed(session, project)
    if target_segment_id != source_segment_id or position != old_index:
        segment_names = dict(
            session.execute(
                sa.select(Segment.id, Segment.name).where(
                    Segment.id.in_({source_segment_id, target_segment_id})
                )
            ).all()
        )
        audit.record(
            session,
            principal.user_id,
            "prompt.moved",
            "prompt",
            current.id,
            name=current.name,
            position=position + 1,
            from_segment=segment_names.get(source_segment_id, ""),
            to_segment=segment_names.get(target_segment_id, ""),
        )
    session.flush()
    return current


def delete_prompt(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str
) -> None:
    """Delete a prompt with its validators and versions; its siblings close the gap."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    project = lock_project(session, project.id)
    segment_id = prompt.segment_id
    segment_name = session.execute(
        sa.select(Segment.name).where(Segment.id == segment_id)
    ).scalar_one_or_none()
    session.execute(sa.delete(Prompt).where(Prompt.id == prompt.id))
    session.expunge(prompt)
    renumber(session, prompts_in_order(session, segment_id))
    project_changed(session, project)
    changes.prompt_deleted(session, project, prompt)
    # About the project, not the prompt: the prompt's own entries go with it.
    audit.record(
        session,
        principal.user_id,
        "prompt.deleted",
        "project",
        project.id,
        prompt_id=str(prompt.id),
        name=prompt.name,
        segment=segment_name or "",
    )
    session.flush()
