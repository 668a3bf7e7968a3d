"""The Langfuse prompt model on top of ours: what the Langfuse-compatible API (api/langfuse.py)
does besides serving (which goes through services/serving.py like every protocol).

A Langfuse prompt name is `segment/prompt` in the API key's project (a name without '/' lives
in the segment `prompts`). Creating a prompt version saves the draft and snapshots it, then
moves the requested labels; `production` keeps its meaning (the version must pass its
validators), and a refused label undoes the whole request. Langfuse's `latest` is virtual:
the newest version, never a stored label.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from promptrepo.models import Project, Prompt, Segment, Version, VersionLabel
from promptrepo.services import (
    access,
    chat,
    drafts,
    model_config,
    prompts,
    segments,
    serving,
    templates,
    versions,
)
from promptrepo.services import tags as prompt_tags
from promptrepo.services import variables as variable_specs
from promptrepo.services.errors import NotFound, PermissionDenied, ValidationFailed
from promptrepo.services.ordering import clean_name
from promptrepo.services.principal import Principal, require_user

MAX_PAGE_SIZE = 100


def key_project(session: Session, principal: Principal | None, *, write: bool = False) -> Project:
    """The project of the caller's API key (the Langfuse API works in one project)."""
    principal = require_user(principal)
    if principal.api_key_project_id is None:
        raise PermissionDenied(
            "The Langfuse-compatible API works in one project: use a project API key "
            "(Settings → API keys → Project)."
        )
    return access.get_project(session, principal, principal.api_key_project_id, write=write)


def _check_name(name: str) -> tuple[str, str]:
    segment, prompt = serving.split_name(name or "")
    segment = clean_name(segment, what="folder")
    prompt = clean_name(prompt, what="prompt")
    return segment, prompt


def find_prompt(session: Session, project: Project, name: str) -> Prompt | None:
    """The prompt named `segment/prompt` in the project (the first in the project's order)."""
    segment, prompt = serving.split_name(name)
    return session.exec(
        select(Prompt)
        .join(Segment, Segment.id == Prompt.segment_id)
        .where(Segment.project_id == project.id, Segment.name == segment, Prompt.name == prompt)
        .order_by(Segment.order, Prompt.order)
    ).first()


def get_prompt(session: Session, principal: Principal | None, name: str) -> Prompt:
    project = key_project(session, principal)
    prompt = find_prompt(session, project, name)
    if prompt is None:
        raise NotFound(f"Prompt '{name}' not found.")
    return prompt


def check_labels(labels: list[str] | None) -> list[str]:
    """Label names as Langfuse sends them: `latest` is reserved (it is always the newest)."""
    result = []
    for label in labels or []:
        if label == serving.LATEST:
            raise ValidationFailed(
                "The label 'latest' is reserved: it always points at the newest version.",
                errors=[{"loc": ["labels"], "msg": "'latest' is reserved"}],
            )
        result.append(versions.check_label_name(label))
    return list(dict.fromkeys(result))


def langfuse_variables(
    spec: dict[str, Any] | None, text: str, messages: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The variables of `text` (or of a chat prompt's `messages`) as a Langfuse client means
    them: strings (the SDK's compile() substitutes text). A variable nobody has described yet
    gets its own name as its example, so that publishing (which renders with examples) can
    check the template; the editor shows and changes it like any other."""
    try:
        if messages is not None:
            detected = [] if chat.check_syntax(messages) else chat.detect_variables(messages)
        else:
            detected = templates.detect_variables(text)
    except ValidationFailed:
        detected = []  # a syntax error: create_version words it
    synced = variable_specs.sync_with_content(spec, detected)
    for name, item in synced.items():
        if not variable_specs.is_customised(item):
            synced[name] = {**item, "example": name}
    return synced


def create_version(
    session: Session,
    principal: Principal | None,
    *,
    name: str,
    prompt: str | list[Any],
    type: str | None = "text",
    config: Any = None,
    labels: list[str] | None,
    commit_message: str | None,
    tags: list[str] | None = None,
) -> tuple[uuid.UUID, int]:
    """A new version of the prompt `name` (created, with its folder, on first use) holding a
    text template or, with `type="chat"`, Langfuse's message list (`{"role", "content"}` and
    `{"type": "placeholder", "name"}` entries), with `config` (model settings plus free-form
    keys; none sent: the version has none, as in Langfuse) and `labels` moved to it. `tags`
    (a list) replace the prompt's tags, which belong to the prompt as in Langfuse; None keeps
    them.
    Everything is checked before anything is written. Returns (prompt id, version number)."""
    project = key_project(session, principal, write=True)
    labels = check_labels(labels)
    wanted_tags = None if tags is None else prompt_tags.clean_tags(tags)
    kind = chat.check_type(type or "text")
    if kind == "chat":
        if not isinstance(prompt, list):
            raise ValidationFailed(
                "A chat prompt is a list of messages ({role, content} or "
                "{type: 'placeholder', name}).",
                errors=[{"loc": ["prompt"], "msg": "a list of messages"}],
            )
        messages: list[dict[str, Any]] | None = chat.validate_messages(prompt)
        text = ""
    else:
        if not isinstance(prompt, str):
            raise ValidationFailed(
                "A text prompt is a string; send type 'chat' for a list of messages.",
                errors=[{"loc": ["prompt"], "msg": "a string"}],
            )
        messages, text = None, prompt
    if config is not None and not isinstance(config, dict):
        raise ValidationFailed(
            "config must be a JSON object.", errors=[{"loc": ["config"], "msg": "an object"}]
        )
    settings = model_config.validate_config(config or {})
    segment_name, prompt_name = _check_name(name)
    found = find_prompt(session, project, f"{segment_name}/{prompt_name}")
    spec = langfuse_variables(found.variables if found else {}, text, messages)
    if found is None:
        segment = session.exec(
            select(Segment)
            .where(Segment.project_id == project.id, Segment.name == segment_name)
            .order_by(Segment.order)
        ).first()
        if segment is None:
            segment = segments.create_segment(session, principal, project.id, name=segment_name)
        found = prompts.create_prompt(
            session,
            principal,
            segment.id,
            name=prompt_name,
            content=text,
            variables=spec,
            type=kind,
            messages=messages,
            config=settings,
        )
    else:
        drafts.save_draft(
            session,
            principal,
            found.id,
            base_revision=None,
            content=text,
            variables=spec,
            force=True,
            type=kind,
            messages=messages if messages is not None else [],
            config=settings,
        )
    if wanted_tags is not None:
        prompt_tags.set_tags(session, principal, found.id, wanted_tags)
    version = versions.create_version(
        session, principal, found.id, commit_message=commit_message or ""
    )
    for label in labels:
        versions.set_label(session, principal, found.id, label, version.version)
    return found.id, version.version


def set_labels(
    session: Session, principal: Principal | None, name: str, number: int, labels: list[str]
) -> uuid.UUID:
    """Move `labels` to version `number` of the prompt `name` (Langfuse's `newLabels`)."""
    prompt = get_prompt(session, principal, name)
    for label in check_labels(labels):
        versions.set_label(session, principal, prompt.id, label, number)
    return prompt.id


def langfuse_prompt(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID, number: int
) -> dict[str, Any]:
    """A version as the Langfuse API answers it (the serving read's own format)."""
    found = serving.read_published(
        session, principal, serving.Wanted(prompt_id=prompt_id, version=number)
    )
    if found is None:
        raise NotFound("Prompt version not found.")
    return serving.served_entry(found).langfuse


def delete(
    session: Session,
    principal: Principal | None,
    name: str,
    *,
    label: str | None = None,
    version: int | None = None,
) -> None:
    """Delete the prompt, or only its version `version`, or the version carrying `label`
    (a labelled version is deleted with its labels, as Langfuse does)."""
    prompt = get_prompt(session, principal, name)
    if label is None and version is None:
        prompts.delete_prompt(session, principal, prompt.id)
        return
    if version is None:
        version = session.exec(
            select(Version.version)
            .join(VersionLabel, VersionLabel.version_id == Version.id)
            .where(VersionLabel.prompt_id == prompt.id, VersionLabel.name == label)
        ).first()
        if version is None:
            raise NotFound(f"Prompt '{name}' has no version labelled {label!r}.")
    for info in versions.list_labels(session, principal, prompt.id):
        if info.version == version:
            versions.remove_label(session, principal, prompt.id, info.name)
    versions.delete_version(session, principal, prompt.id, version)


@dataclass
class PromptMeta:
    name: str
    versions: list[int]
    labels: list[str]
    tags: list[str]
    last_updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": "text",
            "versions": self.versions,
            "labels": self.labels,
            "tags": self.tags,
            "lastUpdatedAt": self.last_updated_at.isoformat().replace("+00:00", "Z"),
            "lastConfig": {},
        }


def list_prompts(
    session: Session,
    principal: Principal | None,
    *,
    name: str | None = None,
    label: str | None = None,
    tag: str | None = None,
    page: int = 1,
    limit: int = 50,
) -> tuple[list[PromptMeta], int]:
    """A page of the project's prompts that have versions (Langfuse's prompt list), in the
    project's order, and how many there are."""
    project = key_project(session, principal)
    page = max(1, int(page))
    limit = max(1, min(MAX_PAGE_SIZE, int(limit)))
    where = [
        Segment.project_id == project.id,
        select(Version.id).where(Version.prompt_id == Prompt.id).exists(),
    ]
    if name is not None:
        segment_name, prompt_name = serving.split_name(name)
        where += [Segment.name == segment_name, Prompt.name == prompt_name]
    if label is not None:
        where.append(
            select(VersionLabel.id)
            .where(VersionLabel.prompt_id == Prompt.id, VersionLabel.name == label)
            .exists()
        )
    if tag is not None:
        where.append(prompt_tags.has_tag(session, tag.strip().lower()))
    base = select(Prompt, Segment.name).join(Segment, Segment.id == Prompt.segment_id).where(*where)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(
        base.order_by(Segment.order, Prompt.order, Prompt.id)
        .offset((page - 1) * limit)
        .limit(limit)
    ).all()
    ids = [prompt.id for prompt, _ in rows]
    numbers: dict[uuid.UUID, list[int]] = {}
    for prompt_id, number in session.exec(
        select(Version.prompt_id, Version.version)
        .where(Version.prompt_id.in_(ids))
        .order_by(Version.version)
    ).all():
        numbers.setdefault(prompt_id, []).append(number)
    labels: dict[uuid.UUID, list[str]] = {}
    for prompt_id, label_name in session.exec(
        select(VersionLabel.prompt_id, VersionLabel.name)
        .where(VersionLabel.prompt_id.in_(ids))
        .order_by(VersionLabel.name)
    ).all():
        labels.setdefault(prompt_id, []).append(label_name)
    items = [
        PromptMeta(
            name=f"{segment_name}/{prompt.name}",
            versions=numbers.get(prompt.id, []),
            labels=[*labels.get(prompt.id, []), serving.LATEST],
            tags=list(prompt.tags or []),
            last_updated_at=prompt.updated_at,
        )
        for prompt, segment_name in rows
    ]
    return items, total


def total_pages(total: int, limit: int) -> int:
    return max(1, math.ceil(total / max(1, limit)))
