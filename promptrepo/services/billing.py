"""Stripe billing: Checkout to subscribe, the Customer Portal to manage, webhooks to apply.

Entitlements are read from our `billing` table (see services/plans.py), never from a live
Stripe call. Every webhook event is stored first (id, type, verified, processed, error) and
then applied idempotently: Stripe may send an event twice, or retry after an error.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from promptrepo.models import Billing, StripeEvent, utcnow
from promptrepo.observability import get_logger
from promptrepo.services import audit, cache
from promptrepo.services.errors import Conflict, ServiceError, ValidationFailed
from promptrepo.services.locks import lock_billing, take_sqlite_write_lock
from promptrepo.services.plans import PLANS, Plan, plan_for_user
from promptrepo.services.principal import Principal, require_user
from promptrepo.settings import settings

if TYPE_CHECKING:
    import stripe

log = get_logger(__name__)

# Stripe subscription statuses, mapped onto the ones our CHECK constraint allows.
STATUS_MAP = {
    "active": "active",
    "trialing": "trialing",
    "past_due": "past_due",
    "unpaid": "unpaid",
    "incomplete": "incomplete",
    "incomplete_expired": "canceled",
    "canceled": "canceled",
    "paused": "canceled",
}
PAID_PLANS = ("pro", "enterprise")


# Stripe's SDK refuses signatures older than 5 minutes; we refuse as far into the future.
WEBHOOK_TOLERANCE_SECONDS = 300


class BillingNotConfigured(ServiceError):
    status_code = 503
    title = "Billing unavailable"


class InvalidWebhook(ValidationFailed):
    """A delivery that is not verifiably Stripe's, now: bad signature, too old, too new."""

    status_code = 400
    title = "Invalid webhook"


@dataclass(frozen=True)
class BillingOverview:
    plan: Plan
    status: str
    current_period_end: datetime | None
    has_customer: bool
    has_subscription: bool


def is_configured() -> bool:
    return bool(settings.stripe_secret_key)


def stripe_client() -> stripe.StripeClient:
    import stripe  # imported when first used: the SDK takes a second or more to import

    if not settings.stripe_secret_key:
        raise BillingNotConfigured("Billing is not configured on this server (STRIPE_SECRET_KEY).")
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key, base_addresses=base, max_network_retries=1
    )


def price_for(plan_id: str) -> str | None:
    return {"pro": settings.stripe_price_pro, "enterprise": settings.stripe_price_enterprise}.get(
        plan_id
    )


def plan_for_price(price_id: str | None) -> str | None:
    for plan_id in PAID_PLANS:
        if price_id and price_for(plan_id) == price_id:
            return plan_id
    return None


def _billing_row(session: Session, user_id: uuid.UUID) -> Billing:
    billing = session.exec(select(Billing).where(Billing.user_id == user_id)).first()
    if billing is None:  # every sign-up creates one; repair rather than fail
        billing = Billing(user_id=user_id)
        session.add(billing)
        session.flush()
    return billing


def get_overview(session: Session, principal: Principal | None) -> BillingOverview:
    """The signed-in user's plan as it applies now, and what can be done about it."""
    principal = require_user(principal)
    billing = _billing_row(session, principal.user_id)
    return BillingOverview(
        plan=plan_for_user(session, principal.user_id),
        status=billing.status,
        current_period_end=billing.current_period_end,
        has_customer=billing.stripe_customer_id is not None,
        has_subscription=billing.stripe_subscription_id is not None
        and billing.status != "canceled",
    )


def start_checkout(session: Session, principal: Principal | None, plan_id: str) -> str:
    """Create a Stripe Checkout session for `plan_id` and return the URL to send the user to."""
    principal = require_user(principal)
    if plan_id not in PAID_PLANS:
        raise ValidationFailed(
            f"Unknown plan {plan_id!r}.",
            errors=[{"loc": ["plan"], "msg": "choose pro or enterprise"}],
        )
    price = price_for(plan_id)
    if not price:
        raise BillingNotConfigured(
            f"No Stripe price is configured for the {PLANS[plan_id].name} plan."
        )
    # Locked, so two tabs starting checkout at once make one Stripe customer, not two.
    billing = lock_billing(session, _billing_row(session, principal.user_id))
    if billing.stripe_subscription_id and billing.status != "canceled":
        raise Conflict(
            "You already have a subscription: change or cancel it in the billing portal."
        )
    client = stripe_client()
    if not billing.stripe_customer_id:
        customer = client.v1.customers.create(
            params={
                "email": principal.email,
                "name": principal.name,
                "metadata": {"user_id": str(principal.user_id)},
            }
        )
        billing.stripe_customer_id = customer.id
        session.add(billing)
        session.flush()
    metadata = {"user_id": str(principal.user_id), "plan": plan_id}
    checkout = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": billing.stripe_customer_id,
            "client_reference_id": str(principal.user_id),
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": f"{settings.public_url}/billing?checkout=success",
            "cancel_url": f"{settings.public_url}/billing?checkout=cancelled",
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
        }
    )
    audit.record(
        session, principal.user_id, "billing.checkout_started", "billing", billing.id, plan=plan_id
    )
    return checkout.url


def open_portal(session: Session, principal: Principal | None) -> str:
    """Create a Customer Portal session and return its URL."""
    principal = require_user(principal)
    billing = _billing_row(session, principal.user_id)
    if not billing.stripe_customer_id:
        raise Conflict("There is no billing account yet: choose a paid plan first.")
    portal = stripe_client().v1.billing_portal.sessions.create(
        params={
            "customer": billing.stripe_customer_id,
            "return_url": f"{settings.public_url}/billing",
        }
    )
    return portal.url


# --------------------------------------------------------------------------- webhooks
def receive_webhook(session: Session, payload: bytes, signature: str | None) -> StripeEvent:
    """Verify, store and apply one webhook delivery. A repeated delivery changes nothing.

    Raises ValidationFailed for a bad signature or payload (nothing is stored). A failure
    while applying is rolled back and recorded on the stored event (`error`, no
    `processed_at`); the caller commits and answers with an error so Stripe retries.
    """
    import stripe

    if not settings.stripe_webhook_secret:
        raise BillingNotConfigured("Webhooks are not configured (STRIPE_WEBHOOK_SECRET).")
    try:
        stripe.Webhook.construct_event(
            payload.decode("utf-8"),
            signature or "",
            settings.stripe_webhook_secret,
            tolerance=WEBHOOK_TOLERANCE_SECONDS,
        )
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError, stripe.SignatureVerificationError) as exc:
        raise InvalidWebhook(f"Invalid Stripe webhook: {exc}") from None
    signed_at = _signed_at(signature or "")
    if signed_at is not None and signed_at > time.time() + WEBHOOK_TOLERANCE_SECONDS:
        # The SDK only refuses old timestamps; one from the future is a replay kept for
        # later, or a clock far off.
        raise InvalidWebhook(
            f"Invalid Stripe webhook: signed {int(signed_at - time.time())} s in the future "
            f"(more than {WEBHOOK_TOLERANCE_SECONDS} s ahead)."
        )
    event_id, event_type = data.get("id"), data.get("type")
    if not event_id or not event_type:
        raise InvalidWebhook("Invalid Stripe webhook: no event id or type.")

    # On SQLite, one webhook at a time from here (a no-op on PostgreSQL, which locks the
    # billing row below). Taken before any read, so the savepoints below nest inside one
    # transaction and no read snapshot has to be upgraded to a write.
    take_sqlite_write_lock(session, "stripe_events")
    stored = session.get(StripeEvent, event_id)
    if stored is not None and stored.processed_at is not None:
        return stored
    if stored is None:
        stored = StripeEvent(id=event_id, type=event_type, payload=data, verified=True)
        try:
            with session.begin_nested():
                session.add(stored)
                session.flush()
        except IntegrityError:  # the same event, delivered twice at once: stored meanwhile
            stored = session.exec(
                select(StripeEvent)
                .where(StripeEvent.id == event_id)
                .execution_options(populate_existing=True)
            ).one()
            if stored.processed_at is not None:
                return stored
    try:
        with session.begin_nested():
            apply_event(session, data)
    except Exception as exc:
        stored.error = f"{type(exc).__name__}: {exc}"[:2000]
        session.add(stored)
        log.exception("stripe_event_failed", event_id=event_id, event_type=event_type)
        return stored
    stored.processed_at = utcnow()
    stored.error = None
    session.add(stored)
    return stored


def _signed_at(signature: str) -> int | None:
    """The `t=` timestamp of a `Stripe-Signature` header."""
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def _event_time(event: dict[str, Any]) -> datetime | None:
    created = event.get("created")
    if isinstance(created, int | float) and not isinstance(created, bool):
        return datetime.fromtimestamp(created, UTC)
    return None


def _claim(
    session: Session, billing: Billing, event: dict[str, Any], subscription_id: str | None = None
) -> Billing | None:
    """Lock `billing` and decide whether `event` may still change it (None: it may not).

    Stripe delivers events out of order and retries late, so arrival order means nothing:
    an event older (by Stripe's `created`) than the newest applied to the row is ignored.
    Within one second (Stripe's resolution) events apply in arrival order, except that
    nothing of the same second revives a subscription whose deletion was applied.
    """
    billing = lock_billing(session, billing)
    created = _event_time(event)
    newest = billing.stripe_event_created
    if created is not None and newest is not None:
        deleted_here = (
            subscription_id is not None
            and billing.stripe_subscription_id == subscription_id
            and (billing.plan, billing.status) == ("free", "canceled")
        )
        if created < newest or (created == newest and deleted_here):
            log.info(
                "stripe_event_out_of_order",
                event_id=event.get("id"),
                event_type=event.get("type"),
                created=created.isoformat(),
                newest_applied=newest.isoformat(),
            )
            return None
    if created is not None and (newest is None or created > newest):
        billing.stripe_event_created = created
        session.add(billing)
    return billing


def apply_event(session: Session, event: dict[str, Any]) -> None:
    """Apply a Stripe event to our billing table (unknown types are stored and ignored).

    An event older than the newest applied to the same billing row changes nothing (see
    `_claim`): a late `customer.subscription.updated` cannot undo a deletion, an older
    `active` cannot undo a newer `past_due`.
    """
    obj = event.get("data", {}).get("object", {})
    kind = event.get("type", "")
    if kind == "checkout.session.completed":
        _apply_checkout_completed(session, obj, event)
    elif kind in ("customer.subscription.created", "customer.subscription.updated"):
        _apply_subscription(session, obj, event)
    elif kind == "customer.subscription.deleted":
        billing = _billing_for_customer(session, obj.get("customer"))
        if billing is not None and billing.stripe_subscription_id in (None, obj.get("id")):
            billing = _claim(session, billing, event)
            if billing is not None and billing.stripe_subscription_id in (None, obj.get("id")):
                # The id stays, so a late event about this subscription is recognised.
                _set(
                    session,
                    billing,
                    plan="free",
                    status="canceled",
                    subscription_id=obj.get("id"),
                    period_end=None,
                )
    elif kind == "invoice.payment_failed":
        billing = _billing_for_customer(session, obj.get("customer"))
        if billing is not None:
            billing = _claim(session, billing, event)
            if billing is not None and billing.plan != "free":
                _set(session, billing, status="past_due")


def _apply_checkout_completed(session: Session, obj: dict[str, Any], event: dict[str, Any]) -> None:
    metadata = obj.get("metadata") or {}
    user_id = obj.get("client_reference_id") or metadata.get("user_id")
    billing = None
    if user_id:
        billing = session.exec(select(Billing).where(Billing.user_id == uuid.UUID(user_id))).first()
    billing = billing or _billing_for_customer(session, obj.get("customer"))
    if billing is None:
        raise LookupError("checkout.session.completed for an unknown user")
    billing = _claim(session, billing, event, obj.get("subscription"))
    if billing is None:
        return
    plan = metadata.get("plan") if metadata.get("plan") in PAID_PLANS else billing.plan
    _set(
        session,
        billing,
        plan=plan,
        status="active",
        customer_id=obj.get("customer"),
        subscription_id=obj.get("subscription"),
    )


def _apply_subscription(session: Session, sub: dict[str, Any], event: dict[str, Any]) -> None:
    billing = _billing_for_customer(session, sub.get("customer"))
    if billing is None:
        user_id = (sub.get("metadata") or {}).get("user_id")
        if user_id:
            billing = session.exec(
                select(Billing).where(Billing.user_id == uuid.UUID(user_id))
            ).first()
    if billing is None:
        raise LookupError("subscription event for an unknown customer")
    billing = _claim(session, billing, event, sub.get("id"))
    if billing is None:
        return
    items = (sub.get("items") or {}).get("data") or [{}]
    price_id = (items[0].get("price") or {}).get("id")
    plan = plan_for_price(price_id) or (sub.get("metadata") or {}).get("plan")
    period_end = sub.get("current_period_end") or items[0].get("current_period_end")
    _set(
        session,
        billing,
        plan=plan if plan in PAID_PLANS else billing.plan,
        status=STATUS_MAP.get(sub.get("status", ""), "incomplete"),
        customer_id=sub.get("customer"),
        subscription_id=sub.get("id"),
        period_end=datetime.fromtimestamp(period_end, UTC) if period_end else None,
    )


def _billing_for_customer(session: Session, customer_id: str | None) -> Billing | None:
    if not customer_id:
        return None
    return session.exec(select(Billing).where(Billing.stripe_customer_id == customer_id)).first()


_UNSET: Any = object()


def _set(
    session: Session,
    billing: Billing,
    *,
    plan: str = _UNSET,
    status: str = _UNSET,
    customer_id: str | None = _UNSET,
    subscription_id: str | None = _UNSET,
    period_end: datetime | None = _UNSET,
) -> None:
    before = (billing.plan, billing.status)
    if plan is not _UNSET:
        billing.plan = plan
    if status is not _UNSET:
        billing.status = status
    if customer_id is not _UNSET and customer_id:
        billing.stripe_customer_id = customer_id
    if subscription_id is not _UNSET:
        billing.stripe_subscription_id = subscription_id
    if period_end is not _UNSET:
        billing.current_period_end = period_end
    session.add(billing)
    if (billing.plan, billing.status) != before:
        audit.record(
            session,
            None,
            "billing.plan_changed",
            "billing",
            billing.id,
            user_id=str(billing.user_id),
            plan=billing.plan,
            status=billing.status,
        )
        # API rate limits and cached principals depend on the plan.
        cache.invalidate_user_now_and_after_commit(session, str(billing.user_id))
