"""Find anything: the signed-in user's prompts matched by name and content, one page at a time.

Only the principal's own projects are searched (a project-scoped API key: its project only),
never other users' prompts, public or not. Paging and counting run in SQL.

- PostgreSQL: full text. Every word of the query must match the start of a word of
  `name || ' ' || content` (`to_tsvector('simple', …) @@ to_tsquery('simple', 'w1:* & w2:*')`),
  served by the GIN index `ix_prompts_search` (migration 0013).
- SQLite: the same contract through FTS5: the table `prompts_fts` (migration 0017, kept in
  step by triggers) answers `{name content} : ("w1"* AND "w2"*)`. Its unicode61 tokenizer
  splits words where `search_terms` does (anything but letters and digits).

Prompts whose name matches every word come first, then by rank (PostgreSQL ts_rank, SQLite
bm25), then by name.

Chat prompts are matched by name only: their text lives in `messages`, not `content`.
"""

from __future__ import annotations

import math
import re

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session

from promptrepo.models import Project, Prompt, Segment
from promptrepo.services import tags
from promptrepo.services.principal import Principal, require_user
from promptrepo.services.projects import list_projects, readable_as_member

MAX_QUERY_CHARS = 100
MAX_TERMS = 8
MAX_PER_PAGE = 50
SNIPPET_CHARS = 140

# The exact expression of the GIN index in migration 0013; PostgreSQL uses the index only
# when the query repeats it word for word (constants inline, not bound parameters).
PG_DOCUMENT = "to_tsvector('simple', prompts.name || ' ' || prompts.content)"


class PromptHit(BaseModel):
    project_id: str
    project_name: str
    segment_id: str
    segment_name: str
    prompt_id: str
    prompt_name: str
    snippet: str
    tags: list[str] = []


class PromptSearchPage(BaseModel):
    items: list[PromptHit]
    total: int
    page: int
    per_page: int
    query: str
    tag: str = ""

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def search_terms(query: str) -> list[str]:
    """The query's words (letters and digits; punctuation and `_` separate words), lowercased,
    without repeats, at most MAX_TERMS of them."""
    words = re.findall(r"[^\W_]+", query[:MAX_QUERY_CHARS].lower())
    return list(dict.fromkeys(words))[:MAX_TERMS]


def search_prompts(
    session: Session,
    principal: Principal | None,
    query: str,
    page: int = 1,
    per_page: int = 20,
    *,
    tag: str | None = None,
) -> PromptSearchPage:
    """Page `page` of the principal's prompts matching every word of `query` and, when `tag`
    is given, carrying that tag (services/tags.py).

    A query without any word (empty, or punctuation only) matches nothing, unless a tag is
    given: then every prompt with the tag, by name.
    """
    principal = require_user(principal)
    page = max(1, int(page))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    terms = search_terms(query)
    tag = tags.clean_tag(tag) if tag else ""
    empty = PromptSearchPage(items=[], total=0, page=page, per_page=per_page, query=query, tag=tag)
    if not terms and not tag:
        return empty

    where: list[sa.ColumnElement[bool]] = [readable_as_member(principal.user_id)]
    tables: list[sa.FromClause] = []
    if principal.api_key_project_id is not None:
        where.append(Project.id == principal.api_key_project_id)
    if tag:
        where.append(tags.has_tag(session, tag))
    if not terms:
        order_by = [sa.func.lower(Prompt.name)]
    elif session.get_bind().dialect.name == "postgresql":
        document = sa.literal_column(PG_DOCUMENT)
        # Terms hold letters and digits only, so this tsquery text cannot be malformed.
        tsquery = sa.func.to_tsquery(
            sa.literal_column("'simple'"), " & ".join(f"{t}:*" for t in terms)
        )
        where.append(document.op("@@")(tsquery))
        name_hit = sa.func.to_tsvector(sa.literal_column("'simple'"), Prompt.name).op("@@")(tsquery)
        order_by = [
            sa.case((name_hit, 0), else_=1),
            sa.func.ts_rank(document, tsquery).desc(),
            sa.func.lower(Prompt.name),
        ]
    else:
        # FTS5 (migration 0017): every term is the prefix of a word of the name or content.
        # Terms hold letters and digits only, so each quoted prefix is a valid FTS5 query.
        words = " AND ".join(f'"{t}"*' for t in terms)
        matched = _fts_matches(f"{{name content}} : ({words})", with_rank=True)
        where.append(Prompt.id == matched.c.prompt_id)
        named = _fts_matches(f"name : ({words})")
        name_hit = Prompt.id.in_(sa.select(named.c.prompt_id))
        order_by = [sa.case((name_hit, 0), else_=1), matched.c.rank, sa.func.lower(Prompt.name)]
        tables = [matched]

    joined = (
        sa.select(Prompt.id)
        .select_from(Prompt, *tables)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(*where)
    )
    total = session.execute(sa.select(sa.func.count()).select_from(joined.subquery())).scalar_one()
    if total == 0:
        return empty
    rows = session.execute(
        sa.select(
            Project.id,
            Project.name,
            Segment.id,
            Segment.name,
            Prompt.id,
            Prompt.name,
            Prompt.content,
            Prompt.tags,
        )
        .select_from(Prompt, *tables)
        .join(Segment, Segment.id == Prompt.segment_id)
        .join(Project, Project.id == Segment.project_id)
        .where(*where)
        .order_by(*order_by, Prompt.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [
        PromptHit(
            project_id=str(project_id),
            project_name=project_name,
            segment_id=str(segment_id),
            segment_name=segment_name,
            prompt_id=str(prompt_id),
            prompt_name=prompt_name,
            snippet=snippet(content, terms),
            tags=list(prompt_tags or []),
        )
        for (
            project_id,
            project_name,
            segment_id,
            segment_name,
            prompt_id,
            prompt_name,
            content,
            prompt_tags,
        ) in rows
    ]
    return PromptSearchPage(
        items=items, total=total, page=page, per_page=per_page, query=query, tag=tag
    )


def _fts_matches(query: str, *, with_rank: bool = False) -> sa.Subquery:
    """The rows of SQLite's `prompts_fts` matching an FTS5 query: prompt_id (and bm25 rank,
    lower is better)."""
    fts = sa.table("prompts_fts", sa.column("prompt_id"))
    columns = [fts.c.prompt_id.label("prompt_id")]
    if with_rank:
        columns.append(sa.func.bm25(sa.literal_column("prompts_fts")).label("rank"))
    return (
        sa.select(*columns)
        .select_from(fts)
        .where(sa.literal_column("prompts_fts").op("MATCH")(query))
        .subquery()
    )


def snippet(content: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of `content` around the first place a term occurs (the start
    when none does), on one line, with … where text was cut."""
    lowered = content.lower()
    found = [i for i in (lowered.find(t) for t in terms) if i >= 0]
    start = max(0, min(found) - width // 3) if found else 0
    piece = content[start : start + width]
    text = " ".join(piece.split())
    if start > 0:
        text = "…" + text
    if start + width < len(content):
        text += "…"
    return text


class JumpTarget(BaseModel):
    """One entry of the command palette: a project or a prompt to open."""

    kind: str  # "project" | "prompt"
    project_id: str
    prompt_id: str = ""
    title: str
    detail: str


def jump_targets(
    session: Session, principal: Principal | None, query: str, *, limit: int = 8
) -> list[JumpTarget]:
    """What the command palette offers for `query`: the principal's projects whose name
    contains it (most recently changed first), then their prompts matching it
    (`search_prompts`), at most `limit` in all. An empty query offers the most recently
    changed projects."""
    principal = require_user(principal)
    query = query[:MAX_QUERY_CHARS].strip()
    project_limit = limit if not query else max(1, limit // 2)
    found = list_projects(session, principal, search=query, per_page=project_limit).items
    targets = [
        JumpTarget(
            kind="project",
            project_id=p.id,
            title=p.name,
            detail=f"Project · {p.prompt_count} prompt{'' if p.prompt_count == 1 else 's'}",
        )
        for p in found
    ]
    if query:
        hits = search_prompts(session, principal, query, per_page=limit - len(targets)).items
        targets += [
            JumpTarget(
                kind="prompt",
                project_id=h.project_id,
                prompt_id=h.prompt_id,
                title=h.prompt_name,
                detail=f"Prompt · {h.project_name} › {h.segment_name}",
            )
            for h in hits
        ]
    return targets
