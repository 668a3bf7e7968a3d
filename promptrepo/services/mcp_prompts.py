"""What the MCP server (api/mcp.py) offers: the published prompts an API key can read, named
`segment/prompt` for a project key and `project/segment/prompt` for an account key, with
arguments from their typed variables; getting one goes through the one serving path
(services/serving.py) for its `production` version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, func, select

from promptrepo.models import PRODUCTION_LABEL, Project, Prompt, Segment, Version, VersionLabel
from promptrepo.services import access, serving, splits
from promptrepo.services.errors import NotFound
from promptrepo.services.principal import Principal, require_user
from promptrepo.services.projects import readable_as_member

PAGE_SIZE = 50


@dataclass
class Argument:
    name: str
    required: bool
    description: str


@dataclass
class Listed:
    name: str
    description: str
    arguments: list[Argument]


def arguments(spec: dict[str, Any]) -> list[Argument]:
    """A version's variables as MCP prompt arguments (strings): the description carries the
    type, the allowed values and the default, since MCP arguments have no types."""
    result = []
    for name, item in (spec or {}).items():
        item = item or {}
        kind = item.get("type", "string")
        parts = [item.get("description") or ""]
        if kind == "enum":
            parts.append(f"One of: {', '.join(item.get('options') or [])}.")
        elif kind != "string":
            parts.append(f"Type: {kind}.")
        if item.get("default") is not None:
            parts.append(f"Default: {item['default']}.")
        required = bool(item.get("required", True)) and item.get("default") is None
        result.append(Argument(name, required, " ".join(p for p in parts if p).strip()))
    return result


def _display_name(principal: Principal, project: str, segment: str, prompt: str) -> str:
    if principal.api_key_project_id is not None:
        return f"{segment}/{prompt}"
    return f"{project}/{segment}/{prompt}"


def list_published(
    session: Session, principal: Principal | None, *, offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[Listed], int]:
    """A page of the published prompts in the caller's projects (or the key's project), in
    project, segment and prompt order, and how many there are."""
    principal = require_user(principal)
    where = [readable_as_member(principal.user_id)]
    if principal.api_key_project_id is not None:
        where.append(Project.id == principal.api_key_project_id)
    base = (
        select(Project.name, Segment.name, Prompt.name, Version.variables, Version.commit_message)
        .join(Segment, Segment.project_id == Project.id)
        .join(Prompt, Prompt.segment_id == Segment.id)
        .join(
            VersionLabel,
            (VersionLabel.prompt_id == Prompt.id) & (VersionLabel.name == PRODUCTION_LABEL),
        )
        .join(Version, Version.id == VersionLabel.version_id)
        .where(*where)
    )
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(
        base.order_by(func.lower(Project.name), Project.id, Segment.order, Prompt.order)
        .offset(max(0, offset))
        .limit(max(1, min(100, limit)))
    ).all()
    items = [
        Listed(
            name=_display_name(principal, project, segment, prompt),
            description=message or f"{segment}/{prompt} (production)",
            arguments=arguments(variables),
        )
        for project, segment, prompt, variables, message in rows
    ]
    return items, total


def wanted(session: Session, principal: Principal | None, name: str) -> serving.Wanted:
    """The serving request for an MCP prompt name: its `production` version."""
    principal = require_user(principal)
    if principal.api_key_project_id is not None:
        project_id = principal.api_key_project_id
        rest = name
    else:
        project_name, slash, rest = (name or "").partition("/")
        project_id = session.exec(
            # your own project of that name first, then one shared with you
            select(Project.id)
            .where(readable_as_member(principal.user_id), Project.name == project_name)
            .order_by(Project.user_id != principal.user_id, Project.created_at)
        ).first()
        if not slash or project_id is None:
            raise NotFound(f"Prompt '{name}' not found.")
    project = access.get_project(session, principal, project_id)
    segment, prompt = serving.split_name(rest)
    return serving.Wanted(project_id=project.id, name=f"{segment}/{prompt}", label=PRODUCTION_LABEL)


def split_key(meta: Any) -> str | None:
    """The caller's key for a split label (services/splits.py): `_meta.key` of `prompts/get`
    (prompt arguments are the template's variables), or None to pick at random."""
    key = meta.get("key") if isinstance(meta, dict) else getattr(meta, "key", None)
    if key is None:
        return None
    return splits.check_key(str(key), ["params", "_meta", "key"])


def spec_of(served: serving.Served) -> dict[str, Any]:
    return served.resolved.get("variables") or {}


def complete(spec: dict[str, Any], argument: str, prefix: str) -> list[str]:
    """Values offered for `argument`: an enum's options (those starting with `prefix`)."""
    item = (spec or {}).get(argument) or {}
    if item.get("type") == "enum":
        options = item.get("options") or []
    elif item.get("type") == "boolean":
        options = ["true", "false"]
    else:
        return []
    prefix = (prefix or "").lower()
    return [o for o in options if str(o).lower().startswith(prefix)][:100]
