"""The landing page: what PromptRepo does and for whom, its features, the gallery, the FAQ.

Everything but the teaser is static and prerendered into the first HTML response; the teaser
(the most-forked public projects) is the page's only data and loads with the page.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from promptrepo import routes
from promptrepo.components.badges import count_text
from promptrepo.components.marketing import (
    code,
    cta,
    panel,
    section,
    section_heading,
    span,
    var,
)
from promptrepo.components.template import template
from promptrepo.services.plans import PLANS
from promptrepo.settings import settings
from promptrepo.state.marketing import LandingState, TeaserCard

TITLE = "PromptRepo: version, test and serve your LLM prompts"
DESCRIPTION = (
    "PromptRepo keeps the prompts your LLM features run on out of your code: typed variables, "
    "validators that gate publishing, versions with one-click rollback, and a fast, cached API."
)


# --------------------------------------------------------------------------- visuals
# The visuals are plain HTML elements styled by assets/styles.css (`pr-*` classes): they are
# static, so they need no React component of their own, which keeps hydration cheap on phones.
def badge(text: str, tone: str = "gray", *, outline: bool = False) -> rx.Component:
    return rx.el.span(
        text, class_name=f"pr-badge pr-tone-{tone}" + (" pr-badge-outline" if outline else "")
    )


def badges(*items: rx.Component) -> rx.Component:
    return rx.el.div(*items, class_name="pr-row")


def caption(text: str, tone: str = "") -> rx.Component:
    return rx.el.p(text, class_name="pr-caption" + (f" pr-text-{tone}" if tone else ""))


def variable_row(name: str, kind: str, required: bool, value: str) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.el.code(name)),
        rx.el.td(kind),
        rx.el.td("required" if required else "optional"),
        rx.el.td(value),
    )


def rendered_prompt_visual() -> rx.Component:
    """A prompt template, its typed variables, and the text they render to."""
    return panel(
        badges(
            rx.el.strong("support-reply"),
            badge("v4"),
            badge("production", "green"),
        ),
        code(
            "You are a support agent for ",
            var("company"),
            ".\nAnswer ",
            var("customer_name"),
            " in a ",
            var("tone"),
            " tone,\nin at most ",
            var("max_words"),
            " words.",
            label="Prompt template with four variables",
        ),
        caption("Rendered with the example values"),
        code(
            "You are a support agent for Acme Cloud.\n"
            "Answer Dana in a friendly tone,\nin at most 120 words.",
            label="The rendered prompt",
        ),
        id="hero-visual",
    )


def diff_visual() -> rx.Component:
    return panel(
        badges(rx.el.strong("v3 → v4"), rx.el.span("“Keep answers short”", class_name="pr-muted")),
        code(
            span("  You are a support agent for {{ company }}.", "pr-muted"),
            span("- Answer {{ customer_name }} in detail.", "pr-del"),
            span("+ Answer {{ customer_name }} in at most {{ max_words }} words.", "pr-add"),
            label="Diff between version 3 and version 4",
        ),
        badges(
            badge("production → v4", "green"),
            badge("staging → v5", "amber"),
            badge("rollback: production → v3 in one click", outline=True),
        ),
    )


def variables_visual() -> rx.Component:
    return panel(
        rx.el.div(
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        rx.el.th("Variable", scope="col"),
                        rx.el.th("Type", scope="col"),
                        rx.el.th("Rule", scope="col"),
                        rx.el.th("Default", scope="col"),
                    )
                ),
                rx.el.tbody(
                    variable_row("company", "string", True, "—"),
                    variable_row("tone", "enum: friendly | formal", False, "friendly"),
                    variable_row("max_words", "number", False, "120"),
                    variable_row("include_links", "boolean", False, "false"),
                ),
                class_name="pr-table",
            ),
            class_name="pr-scroll",
        ),
        rx.el.p(
            "render(tone=“casual”) → 422: tone must be one of friendly, formal",
            class_name="pr-caption pr-mono pr-text-red",
        ),
    )


def validator_row(passed: bool, rule: str, detail: str) -> rx.Component:
    return rx.el.div(
        badge("pass" if passed else "fail", "green" if passed else "red"),
        rx.el.div(rx.el.p(rule, class_name="pr-strong"), caption(detail)),
        class_name="pr-check",
    )


def validators_visual() -> rx.Component:
    return panel(
        validator_row(True, "length ≤ 4,000 characters", "1,208 characters"),
        validator_row(True, "contains “JSON” (case-insensitive)", "found in line 6"),
        validator_row(False, "regex must not match \\bTODO\\b", "matched in line 9"),
        rx.el.p(
            "Publishing v5 refused: 1 validator fails.",
            class_name="pr-alert",
            role="status",
        ),
    )


def segment_block(order: int, name: str, prompts: str) -> rx.Component:
    return rx.el.div(
        rx.el.span(str(order), class_name="pr-step"),
        rx.el.div(rx.el.p(name, class_name="pr-strong"), caption(prompts)),
        class_name="pr-segment",
    )


def composition_visual() -> rx.Component:
    return panel(
        segment_block(1, "System", "persona · safety-rules"),
        segment_block(2, "Context", "product-facts · {{ customer_plan }} limits"),
        segment_block(3, "Task", "support-reply"),
        rx.el.p(
            "POST /api/v1/projects/{id}/render → one prompt, segments in order",
            class_name="pr-caption pr-mono",
        ),
    )


def api_visual() -> rx.Component:
    base = settings.public_url.rstrip("/")
    return panel(
        code(
            span("$ ", "pr-muted"),
            'curl -H "Authorization: Bearer pr_3kX…" \\\n'
            f"  {base}/api/v1/prompts/9b2e…/resolve?label=production",
            label="An API call that fetches the published prompt",
        ),
        code(
            "{\n",
            span('  "name"', "pr-key"),
            ": ",
            span('"support-reply"', "pr-str"),
            ",\n",
            span('  "version"', "pr-key"),
            ": 4,\n",
            span('  "labels"', "pr-key"),
            ": [",
            span('"production"', "pr-str"),
            "],\n",
            span('  "content"', "pr-key"),
            ": ",
            span('"You are a support agent for {{ company }}…"', "pr-str"),
            ",\n",
            span('  "variables"', "pr-key"),
            ': { "company": { "type": "string", "required": true } }\n}',
            label="The JSON response",
        ),
        badges(
            badge("200 OK · cached", "green"),
            badge("ETag → 304 Not Modified", outline=True),
            badge("cache cleared on publish", outline=True),
        ),
    )


# --------------------------------------------------------------------------- sections
def hero() -> rx.Component:
    return rx.grid(
        rx.vstack(
            rx.badge("For teams shipping LLM features", size="2", variant="soft"),
            rx.heading(
                "Version, test and serve the prompts your LLM apps run on",
                size=rx.breakpoints(initial="7", sm="8", lg="9"),
                as_="h1",
                id="hero-title",
                line_height="1.1",
            ),
            rx.text(
                "PromptRepo takes prompts out of your code. Write them with typed variables, "
                "check them with validators before they go live, roll back in one click, and "
                "let your applications fetch the published version from a fast, cached API.",
                size="4",
                color=rx.color("gray", 11),
                id="hero-lead",
            ),
            rx.flex(
                cta("Sign up free", routes.SIGNUP, id="hero-signup"),
                cta(
                    "Explore public prompts",
                    routes.EXPLORE,
                    id="hero-explore",
                    variant="outline",
                ),
                spacing="3",
                wrap="wrap",
            ),
            rx.text(
                "Free plan, no card needed. Python-only, open API.",
                size="2",
                color=rx.color("gray", 11),
            ),
            spacing="5",
            justify="center",
        ),
        rendered_prompt_visual(),
        columns=rx.breakpoints(initial="1", md="2"),
        gap=["2rem", "2rem", "3rem"],
        align_items="center",
        padding_y=["1.5rem", "1.5rem", "3rem"],
        width="100%",
        id="hero",
    )


FEATURES: list[tuple[str, str, str, str, Callable[[], rx.Component]]] = [
    (
        "versioning",
        "git-compare",
        "Versions, diffs and one-click rollback",
        "Every saved version is immutable, with its author and message. Compare any two side "
        "by side, point labels such as production and staging at a version, and move "
        "production back when something goes wrong.",
        diff_visual,
    ),
    (
        "variables",
        "braces",
        "Typed variables",
        "Variables are found as you type and carry a type (string, number, boolean, enum, "
        "JSON), a default and an example. A missing or mistyped value fails with a message "
        "that names it, instead of shipping a broken prompt.",
        variables_visual,
    ),
    (
        "validators",
        "shield-check",
        "Validators that gate publishing",
        "Length limits, required phrases, regular expressions and custom checks run on the "
        "rendered text as you edit. A version that fails one cannot be published.",
        validators_visual,
    ),
    (
        "composition",
        "layers",
        "Compose prompts from segments",
        "A project is an ordered stack of segments (system rules, context, the task), each "
        "holding prompts. Reuse a segment everywhere and render the whole project in one call.",
        composition_visual,
    ),
    (
        "api",
        "zap",
        "A fast API with caching",
        "Programs fetch the published version with an API key. Answers are cached (Redis in "
        "production) and invalidated the moment you publish, with ETags for free revalidation "
        "and per-plan rate limits.",
        api_visual,
    ),
]


def feature(
    key: str, icon: str, title: str, text: str, visual: Callable[[], rx.Component], index: int
) -> rx.Component:
    description = rx.vstack(
        rx.flex(
            rx.icon(icon, size=20, aria_hidden="true"),
            align="center",
            justify="center",
            width="2.5rem",
            height="2.5rem",
            border_radius="var(--radius-3)",
            background=rx.color("accent", 3),
            color=rx.color("accent", 11),
        ),
        rx.heading(title, as_="h3", size="5"),
        rx.text(text, size="3", color=rx.color("gray", 11)),
        spacing="3",
        justify="center",
    )
    # Alternate sides on wide screens; text first on phones.
    visual_first = index % 2 == 1
    return rx.grid(
        description,
        rx.box(
            visual(),
            order=["0", "0", "-1"] if visual_first else "0",
            min_width="0",
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        gap=["1.25rem", "1.25rem", "3rem"],
        align_items="center",
        width="100%",
        id=f"feature-{key}",
    )


def features() -> rx.Component:
    return section(
        section_heading(
            "Everything a prompt needs between the idea and production",
            "Built for developers and prompt engineers who treat prompts like code: reviewed, "
            "tested, versioned and deployed.",
            id="features-title",
        ),
        rx.vstack(
            *[feature(*spec, index=i) for i, spec in enumerate(FEATURES)],
            spacing="9",
            width="100%",
        ),
        id="features",
        aria_labelledby="features-title",
    )


def teaser_card(card: TeaserCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.link(
                rx.heading(card.name, as_="h3", size="4", trim="both"),
                href=card.url,
                class_name="teaser-link",
            ),
            rx.text(
                rx.cond(card.description != "", card.description, "No description."),
                size="2",
                color=rx.color("gray", 11),
                class_name="line-clamp-3",
            ),
            rx.spacer(),
            rx.hstack(
                rx.text("by ", card.owner_name, size="1", color=rx.color("gray", 11)),
                rx.spacer(),
                rx.badge(
                    rx.icon("git-fork", size=12, aria_hidden="true"),
                    count_text(card.fork_count, "fork"),
                    variant="soft",
                ),
                width="100%",
                align="center",
            ),
            spacing="2",
            height="100%",
        ),
        class_name="teaser-card",
        min_height="9rem",
    )


def teaser_skeleton() -> rx.Component:
    return rx.card(rx.skeleton(rx.box(height="7rem")), min_height="9rem", aria_hidden="true")


def teaser() -> rx.Component:
    grid_props = {"columns": rx.breakpoints(initial="1", sm="2", md="3"), "gap": "1rem"}
    return section(
        rx.flex(
            section_heading(
                "Most-forked public prompts",
                "See how others structure their prompts, then fork one into your account.",
                id="teaser-title",
            ),
            rx.spacer(),
            cta(
                "Explore all public prompts",
                routes.EXPLORE,
                id="teaser-explore",
                variant="soft",
                size="2",
            ),
            gap="1rem",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        rx.box(
            rx.cond(
                LandingState.teaser_loaded,
                rx.cond(
                    LandingState.top_projects.length() > 0,
                    rx.grid(
                        rx.foreach(LandingState.top_projects, teaser_card),
                        **grid_props,
                    ),
                    rx.card(
                        rx.text(
                            "No public projects yet. Make one of yours public and it "
                            "will show up here for everyone to fork.",
                            color=rx.color("gray", 11),
                        ),
                        id="teaser-empty",
                    ),
                ),
                rx.grid(*[teaser_skeleton() for _ in range(3)], **grid_props),
            ),
            width="100%",
            id="teaser-projects",
            aria_live="polite",
        ),
        id="gallery",
        aria_labelledby="teaser-title",
    )


def faq_entries() -> list[tuple[str, str]]:
    free = PLANS["free"]
    paid = ", ".join(
        f"{p.name} at ${p.price_usd_per_month}/month"
        for p in PLANS.values()
        if p.price_usd_per_month
    )
    return [
        (
            "What is PromptRepo?",
            "A place to write, test, version and serve the prompts your LLM applications "
            "use, so that changing a prompt no longer needs a code deploy.",
        ),
        (
            "Who is it for?",
            "Developers and prompt engineers building LLM features, and the teams who review "
            "what goes to production.",
        ),
        (
            "How do my applications get a prompt?",
            "With an API key: GET /api/v1/prompts/{id}/resolve returns the version labelled "
            "production (or any label or version you ask for), and /render fills in the "
            "variables for you. The full reference is at /api/docs.",
        ),
        (
            "What happens when I publish a version that fails a validator?",
            "Publishing is refused, and you see which validator failed and why. Fix the "
            "prompt, save a new version and publish that one.",
        ),
        (
            "Can I roll back?",
            "Yes. Labels are pointers to versions: moving production back to an earlier "
            "version is one click, and the API serves it at once.",
        ),
        (
            "Are my prompts private?",
            "Projects are private unless you make them public. Public projects appear in the "
            "gallery, where anyone can read them and signed-in users can fork them.",
        ),
        (
            "Is there a free plan?",
            f"Yes. The {free.name} plan includes {', '.join(free.features).lower()}. "
            f"Paid plans: {paid}.",
        ),
    ]


def faq() -> rx.Component:
    return section(
        section_heading(
            "Frequently asked questions",
            "Short answers. The API docs have the long ones.",
            id="faq-title",
        ),
        rx.box(
            *[
                rx.el.details(rx.el.summary(question), rx.el.p(answer))
                for question, answer in faq_entries()
            ],
            class_name="faq",
            width="100%",
            max_width="48rem",
        ),
        id="faq",
        aria_labelledby="faq-title",
    )


def closing_cta() -> rx.Component:
    return rx.el.section(
        rx.vstack(
            rx.heading(
                "Ship your next prompt change with confidence",
                as_="h2",
                size=rx.breakpoints(initial="6", md="7"),
            ),
            rx.text(
                "Start on the free plan and upgrade when your team needs more.",
                size="4",
                color=rx.color("gray", 11),
            ),
            rx.flex(
                cta("Sign up free", routes.SIGNUP, id="closing-signup"),
                cta("See pricing", routes.PRICING, id="closing-pricing", variant="outline"),
                spacing="3",
                wrap="wrap",
                justify="center",
            ),
            align="center",
            text_align="center",
            spacing="4",
        ),
        padding=["2rem 1.25rem", "2rem 1.25rem", "3rem"],
        margin_y="2rem",
        border_radius="var(--radius-5)",
        background=rx.color("accent", 2),
        border=f"1px solid {rx.color('accent', 5)}",
        width="100%",
        id="get-started",
    )


@template(route=routes.HOME, title=TITLE, description=DESCRIPTION, on_load=LandingState.load)
def home() -> rx.Component:
    return rx.vstack(
        hero(),
        features(),
        teaser(),
        faq(),
        closing_cta(),
        spacing="0",
        width="100%",
    )
