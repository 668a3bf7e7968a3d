"""The one pagination scheme of the API: `?limit=&cursor=`, answered with `next_cursor`.

A list answers `{"items": [...], "next_cursor": "…" | null}`. Pass `next_cursor` back as
`?cursor=` to get the next page; `null` means there is none. `limit` is 1–100 (default 20).
Cursors are opaque: do not build them yourself.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from promptrepo.services.errors import ValidationFailed

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000

PAGINATION_DOC = (
    "Lists are paginated: pass `limit` (1–100, default 20) and, for the next page, the "
    "`next_cursor` of the previous answer as `cursor`. `next_cursor` is `null` on the last page."
)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )
    total: int | None = Field(None, description="How many items in all, where it is cheap to know.")


class PageParams(BaseModel):
    limit: int
    offset: int


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        kind, _, value = text.partition(":")
        offset = int(value)
        if kind != "o" or not 0 <= offset <= MAX_OFFSET:
            raise ValueError
        return offset
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "The cursor is not valid.",
            errors=[{"loc": ["query", "cursor"], "msg": "Not a cursor from a previous page."}],
        ) from None


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1–100).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=64, description="`next_cursor` from the previous page."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, offset=decode_cursor(cursor) if cursor else 0)


PageDep = Annotated[PageParams, Depends(page_params)]


def paginate(
    params: PageParams, fetch: Callable[[int, int], Sequence[T]], convert: Callable[[T], object]
) -> dict:
    """Fetch one row more than asked (`fetch(offset, limit)`) to know whether a next page exists."""
    rows = list(fetch(params.offset, params.limit + 1))
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {
        "items": [convert(r) for r in rows],
        "next_cursor": encode_cursor(params.offset + params.limit) if has_more else None,
    }


def paginate_list(params: PageParams, rows: Sequence[T], convert: Callable[[T], object]) -> dict:
    """Paginate a short list that the service returns whole (e.g. a project's segments)."""
    window = rows[params.offset : params.offset + params.limit]
    has_more = params.offset + params.limit < len(rows)
    return {
        "items": [convert(r) for r in window],
        "next_cursor": encode_cursor(params.offset + params.limit) if has_more else None,
        "total": len(rows),
    }


def paginate_pages(
    params: PageParams, fetch_page: Callable[[int, int], tuple[Sequence[T], int]], convert
) -> dict:
    """Adapt a page-numbered service (`fetch_page(page, per_page) -> (items, total)`) to cursors.

    A cursor is an offset; when it does not fall on a page boundary of `limit` (the client
    changed `limit` between calls), the two pages around it are read and cut.
    """
    limit, offset = params.limit, params.offset
    page = offset // limit + 1
    items, total = fetch_page(page, limit)
    items = list(items)
    skip = offset % limit
    if skip:
        more, total = fetch_page(page + 1, limit)
        items = (items + list(more))[skip : skip + limit]
    has_more = offset + limit < total
    return {
        "items": [convert(r) for r in items],
        "next_cursor": encode_cursor(offset + limit) if has_more else None,
        "total": total,
    }
