"""The 404 page."""

import reflex as rx

from promptrepo import routes
from promptrepo.components.layout import shell


def not_found() -> rx.Component:
    return shell(
        rx.center(
            rx.vstack(
                rx.heading("Page not found", size="8", as_="h1"),
                rx.text("There is nothing at this address.", color=rx.color("gray", 11)),
                rx.hstack(
                    rx.link(rx.button("Go home"), href=routes.HOME),
                    rx.link(rx.button("Explore prompts", variant="soft"), href=routes.EXPLORE),
                ),
                align="center",
                spacing="4",
                id="not-found",
            ),
            min_height="50vh",
        )
    )
