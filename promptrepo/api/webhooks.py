"""Signed webhooks of a project: endpoints, the delivery log, redeliver (services/webhooks.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import Field

from promptrepo.api.deps import SessionDep, WritePrincipal
from promptrepo.api.pagination import PAGINATION_DOC, Page, PageDep, encode_cursor
from promptrepo.api.schemas import ApiModel, StrictInput
from promptrepo.services import webhooks

router = APIRouter(prefix="/api/v1", tags=["webhooks"])

Event = Literal["version.created", "label.moved", "prompt.deleted"]


class WebhookCreate(StrictInput):
    url: str = Field(min_length=1, max_length=2000, examples=["https://example.com/hooks/prompts"])
    events: list[Event] = Field(min_length=1, examples=[["label.moved"]])


class WebhookOut(ApiModel):
    id: uuid.UUID
    project_id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The signing secret (`whsec_…`, Standard Webhooks). Shown only now."
    )


class DeliveryOut(ApiModel):
    id: uuid.UUID
    webhook_id: uuid.UUID
    message_id: str
    event_type: str
    payload: dict[str, Any]
    status: str
    attempts: int
    response_code: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime
    delivered_at: datetime | None


@router.post(
    "/projects/{project_id}/webhooks",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Add a webhook to a project",
)
def create_webhook(
    project_id: uuid.UUID, body: WebhookCreate, session: SessionDep, principal: WritePrincipal
) -> dict:
    """Deliveries are signed per Standard Webhooks with the returned `secret` (headers
    `webhook-id`, `webhook-timestamp`, `webhook-signature`) and retried for 24 h. URLs that
    resolve to private, loopback or link-local addresses are refused."""
    hook, secret = webhooks.create_webhook(
        session, principal, project_id, url=body.url, events=list(body.events)
    )
    return {**WebhookOut.model_validate(hook).model_dump(), "secret": secret}


@router.get(
    "/projects/{project_id}/webhooks",
    response_model=list[WebhookOut],
    summary="List a project's webhooks",
)
def list_webhooks(project_id: uuid.UUID, session: SessionDep, principal: WritePrincipal) -> list:
    return [
        WebhookOut.model_validate(h) for h in webhooks.list_webhooks(session, principal, project_id)
    ]


@router.delete(
    "/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a webhook"
)
def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    webhooks.delete_webhook(session, principal, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/projects/{project_id}/webhook-deliveries",
    response_model=Page[DeliveryOut],
    summary="The project's delivery log, newest first",
    description=PAGINATION_DOC,
)
def list_deliveries(
    project_id: uuid.UUID, session: SessionDep, principal: WritePrincipal, page: PageDep
) -> dict:
    result = webhooks.list_deliveries(
        session, principal, project_id, offset=page.offset, limit=page.limit
    )
    more = page.offset + page.limit < result.total
    return {
        "items": [DeliveryOut.model_validate(d) for d in result.items],
        "next_cursor": encode_cursor(page.offset + page.limit) if more else None,
        "total": result.total,
    }


@router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery again",
)
def redeliver(delivery_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    return DeliveryOut.model_validate(webhooks.redeliver(session, principal, delivery_id))
