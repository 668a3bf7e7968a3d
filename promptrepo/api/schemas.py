"""Request and response models of the REST API (what /api/openapi.json documents)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from promptrepo.api.pagination import Page


class ApiModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class StrictInput(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped; no NUL characters
    (PostgreSQL cannot store them in text)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("must not contain NUL (\\x00) characters")
        return value


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
    project_id: uuid.UUID | None = Field(
        None,
        description="Limit the key to one of your projects (needed for the Langfuse-compatible "
        "API under /api/public). Default: all your projects.",
    )


class ApiKeyOut(ApiModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    public_key: str = Field(
        description="Names the key; not secret (the Langfuse SDK's LANGFUSE_PUBLIC_KEY)."
    )
    project_id: uuid.UUID | None = Field(None, description="The one project the key reaches.")
    scope: Literal["read", "write"]
    created_at: datetime
    last_used_at: datetime | None = Field(
        None, description="Approximate (updated at most once a minute)."
    )
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The key itself. Shown only now: store it safely.")


ApiKeyPage = Page[ApiKeyOut]


# --------------------------------------------------------------------------- projects
class ProjectCreate(StrictInput):
    name: str = Field(min_length=1, max_length=100, examples=["Support bot"])
    description: str = Field("", max_length=2000)
    is_public: bool = False


class ProjectUpdate(StrictInput):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    is_public: bool | None = None
    production_needs_review: bool | None = Field(
        None,
        description="Moving `production` then needs a proposal another owner/editor approves "
        "(POST /api/v1/prompts/{id}/proposals).",
    )


class ProjectFork(StrictInput):
    name: str | None = Field(
        None, min_length=1, max_length=100, description="Default: the original's name."
    )


class ProjectOut(ApiModel):
    id: uuid.UUID
    name: str
    description: str
    is_public: bool
    production_needs_review: bool = False
    forked_from_id: uuid.UUID | None = None
    fork_count: int
    created_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------------- segments
class SegmentCreate(StrictInput):
    name: str = Field(min_length=1, max_length=100)
    position: int | None = Field(
        None,
        ge=0,
        le=100_000,
        description="0-based place among the project's segments; default: last.",
    )


class SegmentUpdate(StrictInput):
    name: str | None = Field(None, min_length=1, max_length=100)
    position: int | None = Field(None, ge=0, le=100_000, description="Move to this 0-based place.")


class SegmentOut(ApiModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    order: int
    created_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------------- prompts
TAGS_DOC = (
    "Tags: up to 20, each 1–32 letters, digits and - _ . : / (stored lowercase). Tags belong "
    "to the prompt, not to a version."
)


class PromptCreate(StrictInput):
    name: str = Field(min_length=1, max_length=100)
    content: str = Field("", max_length=100_000)
    variables: dict[str, Any] = Field(
        default_factory=dict, description="Variable definitions: name → {type, required, default…}."
    )
    position: int | None = Field(None, ge=0, le=100_000)
    type: Literal["text", "chat"] = "text"
    messages: list[dict[str, Any]] | None = Field(
        None,
        description="A chat prompt's messages: `{role, content}` (role system, developer, user "
        "or assistant; content a Jinja2 template) or `{type: placeholder, name}`.",
    )
    config: dict[str, Any] | None = Field(
        None,
        description="Model settings: model, temperature, top_p, max_tokens, stop, "
        "response_format, tools, seed, and any extra keys.",
    )
    tags: list[str] | None = Field(None, max_length=20, description=TAGS_DOC)


class PromptUpdate(StrictInput):
    base_revision: int | None = Field(
        None,
        ge=1,
        description="The prompt's `revision` your change is based on; required to change "
        "name, content or variables. A stale revision answers 409.",
    )
    name: str | None = Field(None, min_length=1, max_length=100)
    content: str | None = Field(None, max_length=100_000)
    variables: dict[str, Any] | None = None
    type: Literal["text", "chat"] | None = None
    messages: list[dict[str, Any]] | None = None
    config: dict[str, Any] | None = None
    tags: list[str] | None = Field(
        None,
        max_length=20,
        description=TAGS_DOC + " Replaces the prompt's tags; needs no `base_revision`.",
    )
    segment_id: uuid.UUID | None = Field(
        None, description="Move to this segment of the same project."
    )
    position: int | None = Field(None, ge=0, le=100_000, description="Move to this 0-based place.")


class PromptOut(ApiModel):
    id: uuid.UUID
    segment_id: uuid.UUID
    name: str
    content: str
    variables: dict[str, Any]
    type: str = "text"
    messages: list[dict[str, Any]] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    order: int
    revision: int
    created_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------------- accounts
class SignUpIn(StrictInput):
    email: str = Field(max_length=320, examples=["ada@example.com"])
    password: str = Field(max_length=1000, description="8 to 128 characters.")
    name: str = Field(max_length=200, examples=["Ada"])


class TokenIn(StrictInput):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class ProfileOut(ApiModel):
    id: uuid.UUID
    email: str
    name: str
    role: Literal["user", "admin"]
    theme_preference: Literal["light", "dark", "system"]
    plan: Literal["free", "pro", "enterprise"]


class ProfileUpdate(StrictInput):
    name: str | None = Field(None, max_length=200)
    theme_preference: Literal["light", "dark", "system"] | None = None


class TokenOut(BaseModel):
    user: ProfileOut
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


# --------------------------------------------------------------------------- versions
# Version numbers fit PostgreSQL's integer; larger ones are refused with a 422, not sent there.
MAX_VERSION = 1_000_000_000


class VersionCreate(StrictInput):
    commit_message: str = Field("", max_length=500, examples=["Tighter tone"])
    base_revision: int | None = Field(
        None, ge=1, description="Refuse (409) if the draft changed since this revision."
    )


class VersionInfoOut(BaseModel):
    id: uuid.UUID
    prompt_id: uuid.UUID
    version: int
    commit_message: str
    author_id: uuid.UUID | None = None
    author_name: str | None = None
    created_at: datetime
    is_published: bool
    labels: list[str]


class VersionDetailOut(VersionInfoOut):
    content: str
    variables: dict[str, Any]
    validators: list[dict[str, Any]]
    type: str = "text"
    messages: list[dict[str, Any]] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)


class VersionCreated(BaseModel):
    version: VersionDetailOut


class LabelSet(StrictInput):
    version: int = Field(
        ge=1, le=MAX_VERSION, description="The version number the label should point at."
    )
    reason: str = Field(default="", max_length=500, description="Why, kept in the label's history.")


class LabelOut(BaseModel):
    name: str
    version: int
    version_id: uuid.UUID
    updated_at: datetime
    updated_by: uuid.UUID | None = None
    placeholders: list[str] = Field(
        default_factory=list,
        description="Publishing: required variables with no example or default, which the "
        "checks rendered with typed placeholders.",
    )


class SplitArm(StrictInput):
    version: int = Field(ge=1, le=MAX_VERSION)
    weight: int = Field(ge=1, le=99, description="A whole percentage; the arms sum to 100.")


class SplitSet(StrictInput):
    arms: list[SplitArm] = Field(
        min_length=2,
        max_length=4,
        description="2–4 versions and their shares of the label's traffic (summing to 100).",
        examples=[[{"version": 3, "weight": 90}, {"version": 4, "weight": 10}]],
    )
    reason: str = Field(default="", max_length=500, description="Why, kept in the label's history.")


class SplitArmOut(BaseModel):
    version: int
    weight: int


class SplitOut(BaseModel):
    label: str
    arms: list[SplitArmOut] = Field(description="Empty: the label serves one version.")


class ServedBucketOut(BaseModel):
    start: datetime
    counts: dict[str, int] = Field(description="Version number → requests served.")


class ServedOut(BaseModel):
    bucket_minutes: int
    buckets: list[ServedBucketOut]
    totals: dict[str, int]


class LabelEventOut(BaseModel):
    label: str
    from_version: int | None
    to_version: int | None
    actor_id: uuid.UUID | None = None
    actor_name: str | None = None
    reason: str
    created_at: datetime


class DiffOut(BaseModel):
    prompt_id: uuid.UUID
    from_version: int
    to_version: int
    content: dict[str, Any] = Field(description="`added`, `removed` and `hunks` of lines.")
    variables: list[dict[str, Any]]
    validators_changed: bool
    messages: list[dict[str, Any]] = Field(
        default_factory=list, description="Chat prompts: message-level changes."
    )
    config: list[dict[str, Any]] = Field(
        default_factory=list, description="Changed model settings: key, change, before, after."
    )
    type_change: list[str] | None = None


class ResolvedOut(BaseModel):
    prompt_id: uuid.UUID
    name: str
    version: int
    labels: list[str]
    type: Literal["text", "chat"] = "text"
    content: str = Field(description="A text prompt's template (empty for chat prompts).")
    variables: dict[str, Any]
    config: dict[str, Any] = Field(default_factory=dict, description="Model settings.")
    messages: list[dict[str, Any]] | None = Field(
        None, description="A chat prompt's message templates and placeholders."
    )
    split: bool | None = Field(
        None, description="True: the label is split over several versions; `version` served."
    )


class RenderIn(StrictInput):
    variables: dict[str, Any] = Field(default_factory=dict, examples=[{"name": "Ada"}])
    placeholders: dict[str, list[dict[str, Any]]] | None = Field(
        None,
        description="Chat prompts: messages for each placeholder, e.g. "
        '`{"history": [{"role": "user", "content": "Hi"}]}`.',
    )
    label: str | None = Field(None, max_length=36, description="Default `production`.")
    version: int | None = Field(
        None, ge=1, le=MAX_VERSION, description="A version number instead of a label."
    )
    key: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="A label split over several versions: the same key (e.g. a user id) always "
        "gets the same version; without one a version is picked at random by weight.",
    )


class ValidatorResultOut(BaseModel):
    type: str
    passed: bool
    message: str


class RenderOut(BaseModel):
    type: Literal["text", "chat"] = "text"
    text: str
    messages: list[dict[str, Any]] | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    version: int | None
    validators: list[ValidatorResultOut]
    split: bool | None = Field(None, description="True: the label is split; `version` served.")


class ProjectRenderIn(StrictInput):
    variables: dict[str, Any] = Field(default_factory=dict)
    label: str | None = Field(None, max_length=36, description="Default `production`.")


class RenderedPart(BaseModel):
    segment: str
    segment_id: uuid.UUID
    prompt: str
    prompt_id: uuid.UUID
    version: int
    text: str


class SkippedPart(BaseModel):
    segment: str
    prompt: str
    prompt_id: uuid.UUID
    reason: str


class ProjectRenderOut(BaseModel):
    text: str
    parts: list[RenderedPart]
    skipped: list[SkippedPart] = Field(
        default_factory=list, description="Prompts with no version under the label."
    )


# --------------------------------------------------------------------------- validators
class ValidatorCreate(StrictInput):
    type: Literal["regex", "length", "contains", "custom"]
    config: dict[str, Any] = Field(
        default_factory=dict,
        examples=[{"pattern": "^You are", "mode": "must_match"}],
        description="Depends on the type; see the editor's validator panel.",
    )


class ValidatorOut(ApiModel):
    id: uuid.UUID
    prompt_id: uuid.UUID
    type: str
    config: dict[str, Any]
    order: int
    created_at: datetime


# --------------------------------------------------------------------------- teams
class InviteIn(StrictInput):
    email: str = Field(min_length=3, max_length=320)
    role: Literal["editor", "viewer"]


class RoleIn(StrictInput):
    role: Literal["editor", "viewer"]


class TransferIn(StrictInput):
    user_id: uuid.UUID = Field(description="The member who becomes the owner.")


class InviteAccepted(ApiModel):
    project_id: uuid.UUID


class CommentIn(StrictInput):
    """A comment on a version, on one of its lines in a diff, or a reply to a thread."""

    version: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The version commented on (a reply takes its thread's).",
    )
    body: str = Field(max_length=20_000, description="Plain text; `@handle` mentions a member.")
    parent_id: uuid.UUID | None = Field(default=None, description="The thread replied to.")
    anchor_other: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The diff's other version."
    )
    anchor_side: Literal["old", "new"] | None = Field(
        default=None, description="The diff column the line is in."
    )
    anchor_line: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The line's number in this version."
    )


class CommentEditIn(StrictInput):
    body: str = Field(max_length=20_000)


class ResolveIn(StrictInput):
    resolved: bool = Field(default=True, description="false reopens the thread.")


# --------------------------------------------------------------------------- reviews
class ProposalIn(StrictInput):
    label: str = Field(
        default="production",
        min_length=1,
        max_length=36,
        description="The label to move (only `production` needs review).",
    )
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description="The version it should point at; omit both this and `arms` to propose "
        "removing the label.",
    )
    arms: list[SplitArm] | None = Field(
        None, min_length=2, max_length=4, description="Propose a traffic split instead."
    )
    message: str = Field(default="", max_length=500, description="Why, for the reviewers.")


class DecisionIn(StrictInput):
    reason: str = Field(
        default="", max_length=500, description="Why (required to reject; optional to approve)."
    )


class ProposalOut(BaseModel):
    id: uuid.UUID
    prompt_id: uuid.UUID
    label: str
    version: int | None = None
    arms: list[SplitArmOut] = []
    change: str = Field(description='What it proposes: "v4", "v3 90% / v4 10%" or "remove".')
    base: str = Field(description='What the label served when proposed ("" = nothing).')
    message: str
    proposer_id: uuid.UUID | None = None
    proposer_name: str
    status: Literal["open", "approved", "rejected", "withdrawn"]
    decided_by: uuid.UUID | None = None
    decider_name: str = ""
    decision_reason: str = ""
    decided_at: datetime | None = None
    created_at: datetime


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    text: str
    link: str
    read: bool
    created_at: datetime


class NotificationsOut(BaseModel):
    items: list[NotificationOut]
    unread: int
