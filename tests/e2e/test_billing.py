"""Upgrading in the browser: Checkout, then the signed webhook, then the new plan.

Stripe's hosted Checkout page cannot run here: the app talks to tests/support/stripe_fake.py
and the browser's navigation to the checkout URL is intercepted. The webhook is a real signed
delivery to the running app.
"""

import re

import httpx
from playwright.sync_api import Page, expect
from sqlmodel import select

from promptrepo.models import Billing
from tests.app_server import STRIPE_WEBHOOK_SECRET, sign_in
from tests.factories import make_user
from tests.support.stripe_fake import event, sign_webhook


def test_user_upgrades_to_pro_through_checkout_and_webhook(page: Page, app_server) -> None:
    with app_server.session() as s:
        user = make_user(s, name="Payer")
        s.commit()
    sign_in(page.context, app_server, user.user_id)
    page.route(
        "https://checkout.stripe.test/**", lambda route: route.fulfill(body="Stripe Checkout")
    )

    page.goto(app_server.url + "/billing?plan=pro")  # as the pricing page links to it
    expect(page.locator("#current-plan")).to_have_text("Free")
    expect(page.locator("#chosen-pro")).to_be_visible()
    page.locator("#upgrade-pro").click()
    page.wait_for_url(re.compile(r"https://checkout\.stripe\.test/cs_test_"))

    with app_server.session() as s:
        customer = (
            s.exec(select(Billing).where(Billing.user_id == user.user_id)).one().stripe_customer_id
        )
    payload = event(
        "checkout.session.completed",
        {
            "id": "cs_e2e",
            "customer": customer,
            "subscription": "sub_e2e",
            "client_reference_id": str(user.user_id),
            "metadata": {"plan": "pro"},
        },
    )
    response = httpx.post(
        app_server.url + "/api/stripe/webhook",
        content=payload,
        headers={
            "Stripe-Signature": sign_webhook(payload, STRIPE_WEBHOOK_SECRET),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200, response.text

    page.goto(app_server.url + "/billing?checkout=success")
    expect(page.locator("#current-plan")).to_have_text("Pro")
    expect(page.locator("#manage-billing")).to_be_visible()


def test_webhook_with_a_bad_signature_is_refused(app_server) -> None:
    payload = event("checkout.session.completed", {"id": "cs_bad"})
    response = httpx.post(
        app_server.url + "/api/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": sign_webhook(payload, "whsec_wrong")},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_billing_page_sends_visitors_to_login(page: Page, app_server) -> None:
    page.goto(app_server.url + "/billing")
    page.wait_for_url(re.compile(r"/login\?next=/billing"))
