"""/billing: your plan, upgrade through Stripe Checkout, manage through the Customer Portal."""

import reflex as rx

from promptrepo import routes
from promptrepo.components.template import template
from promptrepo.services.plans import PLANS, Plan
from promptrepo.state.billing import BillingState


def price_label(plan: Plan) -> str:
    """ "$19/month", "$0/month" (under the heading "Free"), or "Contact us" with no list price."""
    if plan.price_usd_per_month is None:
        return "Contact us"
    return f"${plan.price_usd_per_month}/month"


def plan_option(plan: Plan) -> rx.Component:
    is_current = BillingState.plan_id == plan.id
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(plan.name, size="4", as_="h2"),
                rx.cond(is_current, rx.badge("Current plan", color_scheme="green")),
                rx.cond(
                    BillingState.requested_plan == plan.id,
                    rx.badge("Your choice", color_scheme="violet", id=f"chosen-{plan.id}"),
                ),
                justify="between",
                width="100%",
            ),
            rx.text(price_label(plan), size="5", weight="bold"),
            rx.text(plan.tagline, size="2", color=rx.color("gray", 11)),
            rx.unordered_list(*[rx.list_item(f, size="2") for f in plan.features]),
            rx.cond(
                is_current | (plan.id == "free"),
                rx.fragment(),
                rx.cond(
                    BillingState.has_subscription,
                    rx.button(
                        "Change plan in the portal",
                        on_click=BillingState.manage,
                        variant="soft",
                        width="100%",
                        loading=BillingState.busy == "portal",
                    ),
                    rx.button(
                        f"Upgrade to {plan.name}",
                        on_click=BillingState.upgrade(plan.id),
                        width="100%",
                        loading=BillingState.busy == plan.id,
                        disabled=~BillingState.configured,
                        id=f"upgrade-{plan.id}",
                    ),
                ),
            ),
            spacing="3",
            align="start",
        ),
        width="100%",
        border=rx.cond(
            BillingState.requested_plan == plan.id, f"2px solid {rx.color('violet', 9)}", "none"
        ),
    )


@template(
    route=routes.BILLING,
    title="Billing · PromptRepo",
    description="Your PromptRepo plan and subscription.",
    on_load=BillingState.load,
)
def billing_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Billing", size="7", as_="h1"),
        rx.cond(
            BillingState.loaded,
            rx.vstack(
                rx.text(
                    "You are on the ",
                    rx.text.strong(BillingState.plan_name, id="current-plan"),
                    " plan",
                    rx.cond(
                        BillingState.period_end != "", f" (renews {BillingState.period_end})", ""
                    ),
                    ".",
                ),
                rx.cond(
                    BillingState.status == "past_due",
                    rx.callout(
                        "Your last payment failed. Update your card in the billing portal to keep your plan.",
                        icon="triangle_alert",
                        color_scheme="orange",
                    ),
                ),
                rx.cond(
                    BillingState.notice != "",
                    rx.callout(BillingState.notice, icon="info", id="billing-notice"),
                ),
                rx.cond(
                    BillingState.error != "",
                    rx.callout(
                        BillingState.error,
                        icon="triangle_alert",
                        color_scheme="red",
                        id="billing-error",
                    ),
                ),
                rx.cond(
                    ~BillingState.configured,
                    rx.callout(
                        "Online payments are not configured on this server, so plans cannot be changed here.",
                        icon="info",
                        color_scheme="gray",
                    ),
                ),
                rx.grid(
                    *[plan_option(p) for p in PLANS.values()],
                    columns=rx.breakpoints(initial="1", md="3"),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(
                    BillingState.has_customer,
                    rx.button(
                        "Manage billing (invoices, card, cancel)",
                        on_click=BillingState.manage,
                        variant="outline",
                        loading=BillingState.busy == "portal",
                        id="manage-billing",
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            rx.spinner(size="3"),
        ),
        spacing="5",
        width="100%",
    )
