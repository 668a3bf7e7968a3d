"""The pricing page: the plans exactly as `services/plans.py` defines them.

Names, prices, limits and features are read from PLANS, so this page, the limits the services
enforce and billing can never disagree. Visitors are sent to sign up; a signed-in user sees
"Current plan" on theirs and a link to billing to change it.
"""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.marketing import cta
from promptrepo.components.template import template
from promptrepo.services.plans import PLANS, Plan
from promptrepo.state.marketing import PricingState

TITLE = "Pricing · PromptRepo"
FEATURED_PLAN = "pro"


def price_label(plan: Plan) -> str:
    """ "$19" or "Contact us" when a plan has no list price."""
    return "Contact us" if plan.price_usd_per_month is None else f"${plan.price_usd_per_month}"


def limit_label(value: int | None) -> str:
    return "Unlimited" if value is None else f"{value:,}"


def pricing_description() -> str:
    """ "Free ($0), Pro ($19 per month), ...", from PLANS."""
    parts = [
        f"{plan.name} ({price_label(plan)}" + (" per month)" if plan.price_usd_per_month else ")")
        for plan in PLANS.values()
    ]
    return (
        f"PromptRepo plans and limits: {', '.join(parts)}. Versions, validators and the REST "
        "API on every plan."
    )


DESCRIPTION = pricing_description()


def plan_action(plan: Plan) -> rx.Component:
    """Visitors: sign up. Signed in: "Current plan" on theirs, otherwise change it in billing."""
    featured = plan.id == FEATURED_PLAN
    variant = "solid" if featured else "outline"
    upgrade_label = "Choose Free" if plan.price_usd_per_month == 0 else f"Upgrade to {plan.name}"
    return rx.cond(
        PricingState.is_authenticated,
        rx.cond(
            PricingState.current_plan_id == plan.id,
            rx.button(
                rx.icon("check", size=16, aria_hidden="true"),
                "Current plan",
                disabled=True,
                variant="soft",
                color_scheme="gray",
                size="3",
                width="100%",
                id=f"plan-current-{plan.id}",
            ),
            cta(
                upgrade_label,
                f"{routes.BILLING}?plan={plan.id}",
                id=f"plan-upgrade-{plan.id}",
                variant=variant,
                width="100%",
            ),
        ),
        cta(
            "Start free" if plan.price_usd_per_month == 0 else f"Sign up for {plan.name}",
            f"{routes.SIGNUP}?plan={plan.id}",
            id=f"plan-signup-{plan.id}",
            variant=variant,
            width="100%",
        ),
    )


def check_item(text: str) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.icon("check", size=16, color=rx.color("green", 11), aria_hidden="true"),
            rx.text(text, size="2"),
            spacing="2",
            align="center",
        )
    )


def plan_card(plan: Plan) -> rx.Component:
    featured = plan.id == FEATURED_PLAN
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(plan.name, as_="h2", size="6", id=f"plan-name-{plan.id}"),
                *([rx.badge("Most popular", variant="solid")] if featured else []),
                rx.cond(
                    PricingState.current_plan_id == plan.id,
                    rx.badge("Your plan", color_scheme="green", id=f"plan-yours-{plan.id}"),
                ),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.text(plan.tagline, size="2", color=rx.color("gray", 11), min_height="2.5em"),
            rx.hstack(
                rx.text(price_label(plan), size="8", weight="bold", id=f"plan-price-{plan.id}"),
                *(
                    [rx.text("per month", size="2", color=rx.color("gray", 11))]
                    if plan.price_usd_per_month is not None
                    else []
                ),
                align="baseline",
                spacing="2",
            ),
            plan_action(plan),
            rx.separator(size="4"),
            rx.text("Includes", size="1", weight="bold", color=rx.color("gray", 11)),
            rx.el.ul(
                *[check_item(text) for text in plan.features],
                class_name="plan-list",
                id=f"plan-features-{plan.id}",
            ),
            spacing="4",
            height="100%",
        ),
        size="3",
        id=f"plan-{plan.id}",
        class_name="plan-card plan-featured" if featured else "plan-card",
    )


def comparison_row(label: str, values: list[str]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(label),
        *[rx.table.cell(value) for value in values],
    )


def comparison() -> rx.Component:
    plans = list(PLANS.values())
    return rx.box(
        rx.heading("Compare plans", as_="h2", size="6", margin_bottom="1rem"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("", aria_label="Limit"),
                    *[rx.table.column_header_cell(p.name) for p in plans],
                )
            ),
            rx.table.body(
                comparison_row("Price per month", [price_label(p) for p in plans]),
                comparison_row("Projects", [limit_label(p.max_projects) for p in plans]),
                comparison_row("Prompts", [limit_label(p.max_prompts) for p in plans]),
                comparison_row(
                    "API requests per minute", [f"{p.api_requests_per_minute:,}" for p in plans]
                ),
            ),
            variant="surface",
            width="100%",
        ),
        width="100%",
        overflow_x="auto",
        id="plan-comparison",
    )


@template(route=routes.PRICING, title=TITLE, description=DESCRIPTION, on_load=PricingState.load)
def pricing() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(
                "Simple pricing that grows with you",
                as_="h1",
                size=rx.breakpoints(initial="7", sm="8", lg="9"),
                id="pricing-title",
            ),
            rx.text(
                "Start free. Upgrade when you need more projects, more prompts or a higher API "
                "rate. Change or cancel any time from billing.",
                size="4",
                color=rx.color("gray", 11),
                max_width="44rem",
            ),
            spacing="3",
            align="center",
            text_align="center",
            width="100%",
            padding_top=["1rem", "1rem", "2rem"],
        ),
        rx.grid(
            *[plan_card(plan) for plan in PLANS.values()],
            columns=rx.breakpoints(initial="1", md=str(len(PLANS))),
            gap="1.25rem",
            width="100%",
            id="plans",
        ),
        comparison(),
        rx.text(
            "Prices in US dollars, billed monthly. Every plan includes versions, labels, "
            "validators and the REST API. Questions? See the ",
            rx.link("FAQ", href="/#faq", underline="always"),
            ".",
            size="2",
            color=rx.color("gray", 11),
        ),
        spacing="7",
        width="100%",
        padding_bottom="2rem",
    )
