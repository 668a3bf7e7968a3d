"""The landing page."""

import reflex as rx

from promptrepo import routes
from promptrepo.components.template import template


@template(route=routes.HOME, title="PromptRepo: version, test and serve your LLM prompts")
def home() -> rx.Component:
    return rx.vstack(
        rx.heading(
            "Version, test and serve the prompts your LLM apps run on",
            size="9",
            as_="h1",
            id="hero-title",
        ),
        rx.text(
            "Typed variables, validators that gate publishing, one-click rollback and a fast API.",
            size="5",
            color=rx.color("gray", 11),
        ),
        rx.hstack(
            rx.link(rx.button("Start free", size="3"), href=routes.SIGNUP),
            rx.link(
                rx.button("Explore public prompts", size="3", variant="soft"), href=routes.EXPLORE
            ),
        ),
        spacing="5",
        padding_y="4rem",
    )
