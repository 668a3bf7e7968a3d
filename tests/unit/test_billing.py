"""Billing: Checkout and the portal through the Stripe SDK, webhooks with real signatures.

Stripe's hosted API is replaced by tests/support/stripe_fake.py at the HTTP boundary; the
webhook signatures are real HMAC-SHA256 signatures checked by the Stripe SDK.
"""

import time
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from promptrepo.models import AuditLog, Billing, StripeEvent
from promptrepo.services import billing
from promptrepo.services.errors import Conflict, ValidationFailed
from promptrepo.services.plans import plan_for_user
from promptrepo.settings import settings
from tests.factories import make_user
from tests.support.stripe_fake import FakeStripe, event, sign_webhook

SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    fake = FakeStripe()
    monkeypatch.setattr(settings, "stripe_secret_key", "sk_test_123")
    monkeypatch.setattr(settings, "stripe_api_base", fake.url)
    monkeypatch.setattr(settings, "stripe_webhook_secret", SECRET)
    monkeypatch.setattr(settings, "stripe_price_pro", "price_pro")
    monkeypatch.setattr(settings, "stripe_price_enterprise", "price_ent")
    yield fake
    fake.close()


def deliver(session: Session, payload: bytes, secret: str = SECRET) -> StripeEvent:
    stored = billing.receive_webhook(session, payload, sign_webhook(payload, secret))
    session.commit()
    return stored


def test_checkout_creates_customer_once_and_returns_stripe_url(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = make_user(session)
    url = billing.start_checkout(session, user, "pro")
    session.commit()
    assert url.startswith("https://checkout.stripe.test/cs_test_")
    form = stripe_fake.calls("/v1/checkout/sessions")[0]
    assert form["line_items[0][price]"] == ["price_pro"]
    assert form["client_reference_id"] == [str(user.user_id)]
    billing.start_checkout(session, user, "enterprise")
    assert len(stripe_fake.calls("/v1/customers")) == 1


def test_checkout_refuses_unknown_plans(session: Session, stripe_fake: FakeStripe) -> None:
    user = make_user(session)
    with pytest.raises(ValidationFailed):
        billing.start_checkout(session, user, "platinum")


def test_billing_without_stripe_configured_says_so(session: Session, monkeypatch) -> None:
    monkeypatch.setattr(settings, "stripe_secret_key", None)
    monkeypatch.setattr(settings, "stripe_price_pro", "price_pro")
    user = make_user(session)
    with pytest.raises(billing.BillingNotConfigured, match="not configured"):
        billing.start_checkout(session, user, "pro")


def test_completed_checkout_then_subscription_events_upgrade_the_plan(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = make_user(session)
    billing.start_checkout(session, user, "pro")
    session.commit()
    customer = (
        session.exec(select(Billing).where(Billing.user_id == user.user_id))
        .one()
        .stripe_customer_id
    )
    deliver(
        session,
        event(
            "checkout.session.completed",
            {
                "id": "cs_1",
                "customer": customer,
                "subscription": "sub_1",
                "client_reference_id": str(user.user_id),
                "metadata": {"plan": "pro"},
            },
        ),
    )
    assert plan_for_user(session, user.user_id).id == "pro"
    period_end = int(time.time()) + 30 * 86400
    deliver(
        session,
        event(
            "customer.subscription.updated",
            {
                "id": "sub_1",
                "customer": customer,
                "status": "active",
                "items": {
                    "data": [{"price": {"id": "price_ent"}, "current_period_end": period_end}]
                },
            },
        ),
    )
    row = session.exec(select(Billing).where(Billing.user_id == user.user_id)).one()
    assert (row.plan, row.status) == ("enterprise", "active")
    assert int(row.current_period_end.timestamp()) == period_end
    assert session.exec(select(AuditLog).where(AuditLog.action == "billing.plan_changed")).all()


def test_cancelled_subscription_returns_the_user_to_free(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = make_user(session, plan="pro")
    row = session.exec(select(Billing).where(Billing.user_id == user.user_id)).one()
    row.stripe_customer_id, row.stripe_subscription_id = "cus_x", "sub_x"
    session.commit()
    deliver(
        session,
        event(
            "customer.subscription.deleted",
            {"id": "sub_x", "customer": "cus_x", "status": "canceled"},
        ),
    )
    assert plan_for_user(session, user.user_id).id == "free"


def test_failed_payment_keeps_plan_but_marks_past_due(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = make_user(session, plan="pro")
    row = session.exec(select(Billing).where(Billing.user_id == user.user_id)).one()
    row.stripe_customer_id = "cus_y"
    session.commit()
    deliver(session, event("invoice.payment_failed", {"id": "in_1", "customer": "cus_y"}))
    session.refresh(row)
    assert row.status == "past_due"
    assert plan_for_user(session, user.user_id).id == "pro"


def test_the_same_event_delivered_twice_is_applied_once(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = make_user(session)
    payload = event(
        "checkout.session.completed",
        {
            "id": "cs_2",
            "customer": "cus_2",
            "subscription": "sub_2",
            "client_reference_id": str(user.user_id),
            "metadata": {"plan": "pro"},
        },
        event_id="evt_same",
    )
    deliver(session, payload)
    deliver(session, payload)
    assert len(session.exec(select(StripeEvent)).all()) == 1
    assert (
        len(session.exec(select(AuditLog).where(AuditLog.action == "billing.plan_changed")).all())
        == 1
    )


@pytest.mark.parametrize("mutate", ["wrong_secret", "tampered", "stale"])
def test_bad_signatures_are_refused_and_nothing_is_stored(
    session: Session, stripe_fake: FakeStripe, mutate: str
) -> None:
    user = make_user(session)
    payload = event(
        "checkout.session.completed",
        {"id": "cs", "client_reference_id": str(user.user_id), "metadata": {"plan": "pro"}},
    )
    header = sign_webhook(
        payload,
        "whsec_other" if mutate == "wrong_secret" else SECRET,
        timestamp=int(time.time()) - 3600 if mutate == "stale" else None,
    )
    body = payload.replace(b'"pro"', b'"enterprise"') if mutate == "tampered" else payload
    with pytest.raises(ValidationFailed):
        billing.receive_webhook(session, body, header)
    assert session.exec(select(StripeEvent)).all() == []
    assert plan_for_user(session, user.user_id).id == "free"


def test_an_event_that_fails_is_stored_with_its_error_and_retried(
    session: Session, stripe_fake: FakeStripe
) -> None:
    payload = event(
        "customer.subscription.updated",
        {"id": "sub_z", "customer": "cus_unknown", "status": "active"},
        event_id="evt_fail",
    )
    billing.receive_webhook(session, payload, sign_webhook(payload, SECRET))
    session.commit()
    stored = session.get(StripeEvent, "evt_fail")
    assert stored.processed_at is None and "unknown customer" in stored.error
    # Once the customer exists, Stripe's retry of the same event applies it.
    user = make_user(session)
    row = session.exec(select(Billing).where(Billing.user_id == user.user_id)).one()
    row.stripe_customer_id = "cus_unknown"
    session.commit()
    assert deliver(session, payload).processed_at is not None


def test_portal_needs_a_customer(session: Session, stripe_fake: FakeStripe) -> None:
    user = make_user(session)
    with pytest.raises(Conflict):
        billing.open_portal(session, user)
    billing.start_checkout(session, user, "pro")
    assert billing.open_portal(session, user) == "https://billing.stripe.test/p/1"


def test_existing_subscription_must_be_changed_in_the_portal(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = make_user(session, plan="pro")
    row = session.exec(select(Billing).where(Billing.user_id == user.user_id)).one()
    row.stripe_customer_id, row.stripe_subscription_id = "cus_p", "sub_p"
    session.commit()
    with pytest.raises(Conflict, match="billing portal"):
        billing.start_checkout(session, user, "enterprise")


# --------------------------------------------------------------------------- event order
def _subscribed(session: Session, customer: str, subscription: str):
    user = make_user(session, plan="pro")
    row = session.exec(select(Billing).where(Billing.user_id == user.user_id)).one()
    row.stripe_customer_id, row.stripe_subscription_id = customer, subscription
    session.commit()
    return user


def _subscription_event(kind: str, customer: str, sub: str, status: str, created: int) -> bytes:
    return event(
        kind,
        {
            "id": sub,
            "customer": customer,
            "status": status,
            "items": {"data": [{"price": {"id": "price_pro"}}]},
        },
        created=created,
    )


def _state(session: Session, user) -> tuple[str, str]:
    session.expire_all()
    row = session.exec(select(Billing).where(Billing.user_id == user.user_id)).one()
    return row.plan, row.status


def test_a_late_update_created_before_the_deletion_leaves_the_subscription_canceled(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = _subscribed(session, "cus_del", "sub_del")
    now = int(time.time())
    deliver(
        session,
        _subscription_event("customer.subscription.deleted", "cus_del", "sub_del", "canceled", now),
    )
    late = deliver(
        session,
        _subscription_event(
            "customer.subscription.updated", "cus_del", "sub_del", "active", now - 40
        ),
    )
    assert late.processed_at is not None and late.error is None  # stored, answered 200
    assert _state(session, user) == ("free", "canceled")
    assert plan_for_user(session, user.user_id).id == "free"
    # Nor does an update of the same second bring a deleted subscription back.
    deliver(
        session,
        _subscription_event("customer.subscription.updated", "cus_del", "sub_del", "active", now),
    )
    assert _state(session, user) == ("free", "canceled")


def test_an_older_active_never_overrides_a_newer_past_due(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = _subscribed(session, "cus_pd", "sub_pd")
    now = int(time.time())
    deliver(session, event("invoice.payment_failed", {"customer": "cus_pd"}, created=now))
    deliver(
        session,
        _subscription_event(
            "customer.subscription.updated", "cus_pd", "sub_pd", "active", now - 30
        ),
    )
    assert _state(session, user) == ("pro", "past_due")
    deliver(
        session,
        _subscription_event(
            "customer.subscription.updated", "cus_pd", "sub_pd", "past_due", now - 5
        ),
    )
    assert _state(session, user) == ("pro", "past_due")
    # A newer event still applies: the customer paid.
    deliver(
        session,
        _subscription_event("customer.subscription.updated", "cus_pd", "sub_pd", "active", now + 1),
    )
    assert _state(session, user) == ("pro", "active")


def test_a_new_subscription_after_a_deletion_applies(
    session: Session, stripe_fake: FakeStripe
) -> None:
    user = _subscribed(session, "cus_new", "sub_old")
    now = int(time.time())
    deliver(
        session,
        _subscription_event("customer.subscription.deleted", "cus_new", "sub_old", "canceled", now),
    )
    deliver(
        session,
        _subscription_event(
            "customer.subscription.created", "cus_new", "sub_fresh", "active", now + 60
        ),
    )
    assert _state(session, user) == ("pro", "active")


def test_events_delivered_at_once_in_any_order_end_in_the_newest_state(
    engine, stripe_fake: FakeStripe
) -> None:
    """Real threads, each its own session, deliver shuffled events (and a duplicate of each)."""
    import random
    import threading

    with Session(engine, expire_on_commit=False) as session:
        user = _subscribed(session, "cus_race", "sub_race")
    now = int(time.time())
    statuses = ["active", "past_due", "active", "unpaid", "past_due", "active", "past_due"]
    payloads = [
        _subscription_event(
            "customer.subscription.updated", "cus_race", "sub_race", status, now - 60 + i
        )
        for i, status in enumerate(statuses)
    ]
    deliveries = payloads * 2
    random.Random(7).shuffle(deliveries)
    barrier = threading.Barrier(len(deliveries))
    failures: list[BaseException] = []

    def send(payload: bytes) -> None:
        barrier.wait()
        try:
            with Session(engine) as own:
                stored = billing.receive_webhook(own, payload, sign_webhook(payload, SECRET))
                assert stored.error is None, stored.error
                own.commit()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(p,)) for p in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with Session(engine) as session:
        assert _state(session, user) == ("pro", "past_due")
        assert len(session.exec(select(StripeEvent)).all()) == len(payloads)


@pytest.mark.parametrize("ahead, refused", [(600, True), (301 + 5, True), (240, False)])
def test_webhooks_signed_in_the_future_are_refused(
    session: Session, stripe_fake: FakeStripe, ahead: int, refused: bool
) -> None:
    user = make_user(session)
    payload = event(
        "checkout.session.completed",
        {"id": "cs_future", "client_reference_id": str(user.user_id), "metadata": {"plan": "pro"}},
    )
    header = sign_webhook(payload, SECRET, timestamp=int(time.time()) + ahead)
    if refused:
        with pytest.raises(billing.InvalidWebhook, match="in the future") as caught:
            billing.receive_webhook(session, payload, header)
        assert caught.value.status_code == 400
        assert session.exec(select(StripeEvent)).all() == []
    else:
        assert billing.receive_webhook(session, payload, header).processed_at is not None
