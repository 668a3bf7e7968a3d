"""Tags on prompts: short labels for finding and filtering (search, the project page, the
Langfuse-compatible API's `tags`).

A tag is 1–32 characters: letters, digits and `- _ . : /`, stored lowercase (so `Support`
and `support` are one tag); a prompt has at most MAX_TAGS, in the order they were added.
Tags belong to the prompt, not to a version (as in Langfuse): changing them is not an edit
of the draft, so it moves no revision and never causes an editor conflict.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, select

from promptrepo.models import Project, Prompt, Segment
from promptrepo.services import access, audit, changes
from promptrepo.services.errors import ValidationFailed
from promptrepo.services.locks import lock_prompt
from promptrepo.services.principal import Principal, require_user

MAX_TAGS = 20
MAX_TAG_CHARS = 32
_TAG = re.compile(r"[^\W_][\w.:/-]*")


def clean_tag(tag: Any) -> str:
    """One tag, trimmed and lowercased, or ValidationFailed saying what is wrong."""
    text = str(tag if tag is not None else "").strip().lower()
    if not text:
        msg = "A tag cannot be empty."
    elif len(text) > MAX_TAG_CHARS:
        msg = f"A tag is at most {MAX_TAG_CHARS} characters; '{text[:40]}' has {len(text)}."
    elif not _TAG.fullmatch(text):
        msg = (
            f"'{text}' is not a tag: use letters, digits and - _ . : / "
            "(starting with a letter or digit), no spaces."
        )
    else:
        return text
    raise ValidationFailed(msg, errors=[{"loc": ["tags"], "msg": msg}])


def clean_tags(tags: Iterable[Any] | None) -> list[str]:
    """A list of tags, each cleaned, without repeats, at most MAX_TAGS."""
    if tags is None:
        return []
    if isinstance(tags, str) or not isinstance(tags, Iterable):
        msg = "Tags are a list of strings."
        raise ValidationFailed(msg, errors=[{"loc": ["tags"], "msg": msg}])
    result = list(dict.fromkeys(clean_tag(t) for t in tags))
    if len(result) > MAX_TAGS:
        msg = f"A prompt has at most {MAX_TAGS} tags; this list has {len(result)}."
        raise ValidationFailed(msg, errors=[{"loc": ["tags"], "msg": msg}])
    return result


def set_tags(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, tags: Any
) -> Prompt:
    """Replace the prompt's tags (the owner only). Unchanged tags write nothing."""
    principal = require_user(principal)
    wanted = clean_tags(tags)
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    prompt, project = lock_prompt(session, prompt, project)
    before = list(prompt.tags or [])
    if before == wanted:
        return prompt
    prompt.tags = wanted  # a new list, so the JSON column is written
    session.add(prompt)
    added = [t for t in wanted if t not in before]
    removed = [t for t in before if t not in wanted]
    audit.record(
        session, principal.user_id, "prompt.tagged", "prompt", prompt.id, added=added,
        removed=removed,
    )  # fmt: skip
    changes.project_changed(session, project)
    session.flush()
    return prompt


def add_tag(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, tag: Any
) -> Prompt:
    """Add one tag at the end (already there: nothing changes)."""
    prompt, _ = access.get_prompt(session, principal, prompt_id, write=True)
    return set_tags(session, principal, prompt_id, [*(prompt.tags or []), clean_tag(tag)])


def remove_tag(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, tag: Any
) -> Prompt:
    """Remove one tag (absent: nothing changes)."""
    prompt, _ = access.get_prompt(session, principal, prompt_id, write=True)
    gone = str(tag or "").strip().lower()
    return set_tags(session, principal, prompt_id, [t for t in prompt.tags or [] if t != gone])


def has_tag(session: Session, tag: str) -> sa.ColumnElement[bool]:
    """A WHERE clause: the prompt carries `tag` (already cleaned)."""
    if session.get_bind().dialect.name == "postgresql":
        return Prompt.tags.op("@>")(sa.literal([tag], type_=JSONB))
    each = sa.func.json_each(Prompt.tags).table_valued("value")
    return sa.exists(sa.select(1).select_from(each).where(each.c.value == tag))


def tags_in(prompts: Iterable[Prompt]) -> list[str]:
    """Every tag of these prompts, sorted."""
    return sorted({t for p in prompts for t in (p.tags or [])})


def user_tags(session: Session, principal: Principal | None) -> list[str]:
    """Every tag on the principal's own prompts (a project key: its project's), sorted."""
    principal = require_user(principal)
    query = (
        select(Prompt.tags)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(Project.user_id == principal.user_id)
    )
    if principal.api_key_project_id is not None:
        query = query.where(Project.id == principal.api_key_project_id)
    return sorted({t for tags in session.exec(query).all() for t in (tags or [])})
