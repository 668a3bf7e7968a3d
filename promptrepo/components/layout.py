"""The shell every page shares: navbar, main area, footer."""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.theme import theme_preference_sync
from promptrepo.state.base import AppState


def logo() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("library-big", size=22, aria_hidden="true"),
            rx.text("PromptRepo", weight="bold", size="4"),
            align="center",
            spacing="2",
        ),
        href=routes.HOME,
        underline="none",
        color=rx.color("gray", 12),
        aria_label="PromptRepo home",
    )


def nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, color=rx.color("gray", 11), size="2", weight="medium")


def theme_toggle() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon", size=16), dark=rx.icon("sun", size=16)),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        color_scheme="gray",
        aria_label="Toggle dark mode",
        id="theme-toggle",
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", size=16),
                rx.text(
                    AppState.user_name,
                    max_width="10rem",
                    trim="both",
                    overflow="hidden",
                    white_space="nowrap",
                    text_overflow="ellipsis",
                ),
                variant="soft",
                color_scheme="gray",
                id="user-menu",
            )
        ),
        rx.menu.content(
            rx.menu.item("Dashboard", on_click=rx.redirect(routes.DASHBOARD)),
            rx.menu.item("Settings", on_click=rx.redirect(routes.SETTINGS)),
            rx.menu.item("Billing", on_click=rx.redirect(routes.BILLING)),
            rx.cond(
                AppState.is_admin,
                rx.menu.item("Admin", on_click=rx.redirect(routes.ADMIN)),
            ),
            rx.menu.separator(),
            rx.menu.item("Log out", on_click=rx.redirect(routes.LOGOUT), color_scheme="red"),
        ),
    )


def navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            logo(),
            rx.hstack(
                nav_link("Explore", routes.EXPLORE),
                nav_link("Pricing", routes.PRICING),
                nav_link("API", routes.API_DOCS),
                spacing="5",
                display=["none", "none", "flex"],
            ),
            rx.spacer(),
            rx.hstack(
                theme_toggle(),
                rx.cond(
                    AppState.is_authenticated,
                    rx.hstack(
                        rx.link(rx.button("Dashboard", variant="soft"), href=routes.DASHBOARD),
                        user_menu(),
                        spacing="3",
                    ),
                    rx.hstack(
                        rx.link(rx.button("Log in", variant="ghost"), href=routes.LOGIN),
                        rx.link(rx.button("Sign up"), href=routes.SIGNUP),
                        spacing="3",
                    ),
                ),
                spacing="3",
                align="center",
            ),
            align="center",
            spacing="6",
            max_width="1200px",
            margin_x="auto",
            padding_x="1.25rem",
            padding_y="0.75rem",
        ),
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.hstack(
            rx.text("© 2026 PromptRepo", size="2", color=rx.color("gray", 11)),
            rx.spacer(),
            rx.hstack(
                nav_link("Explore", routes.EXPLORE),
                nav_link("Pricing", routes.PRICING),
                nav_link("API docs", routes.API_DOCS),
                spacing="4",
                wrap="wrap",
            ),
            max_width="1200px",
            margin_x="auto",
            padding="1.25rem",
            align="center",
            wrap="wrap",
        ),
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def shell(content: rx.Component) -> rx.Component:
    return rx.flex(
        rx.el.a("Skip to content", href="#main", class_name="skip-link"),
        theme_preference_sync(),
        navbar(),
        rx.el.main(
            content,
            id="main",
            flex="1",
            width="100%",
            max_width="1200px",
            margin_x="auto",
            padding_x="1.25rem",
            padding_y="2rem",
        ),
        footer(),
        direction="column",
        min_height="100vh",
    )
