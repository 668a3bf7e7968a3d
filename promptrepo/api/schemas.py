"""Request and response models of the REST API (what /api/openapi.json documents)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from promptrepo.api.pagination import Page


class ApiModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StrictInput(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details; `errors` lists field paths for 422s."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[dict[str, Any]] | None = None


# --------------------------------------------------------------------------- API keys
class ApiKeyCreate(StrictInput):
    name: str = Field(min_length=1, max_length=100, examples=["production worker"])
    scope: Literal["read", "write"] = Field(
        "read", description="`read`: GET requests only. `write`: everything you can do."
    )


class ApiKeyOut(ApiModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    scope: Literal["read", "write"]
    created_at: datetime
    last_used_at: datetime | None = Field(
        None, description="Approximate (updated at most once a minute)."
    )
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The key itself. Shown only now: store it safely.")


ApiKeyPage = Page[ApiKeyOut]
