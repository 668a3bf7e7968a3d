"""POST /api/stripe/webhook: Stripe's deliveries, verified and stored before they are applied."""

from __future__ import annotations

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from promptrepo.api.errors import problem
from promptrepo.db import system_scope
from promptrepo.services import billing

router = APIRouter(tags=["billing"])


def _receive(payload: bytes, signature: str | None) -> tuple[str, str | None]:
    with system_scope("stripe-webhook") as session:
        stored = billing.receive_webhook(session, payload, signature)
        return stored.id, stored.error


@router.post("/api/stripe/webhook", summary="Receive a Stripe webhook event")
async def stripe_webhook(
    request: Request, stripe_signature: str | None = Header(default=None)
) -> JSONResponse:
    """200 once the event is stored and applied (or was already, or is older than what was
    applied); 400 for a bad, expired or future-dated signature (nothing stored); 500 when applying failed (the event is kept with its error and
    Stripe's retry applies it)."""
    event_id, error = await run_in_threadpool(_receive, await request.body(), stripe_signature)
    if error:
        return problem(
            500, "Webhook processing failed", f"Event {event_id} was stored; retry later."
        )
    return JSONResponse({"received": True, "id": event_id})
