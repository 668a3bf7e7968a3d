"""The shell every page shares: navbar, main area, footer."""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.bell import bell_mount
from promptrepo.components.palette import command_palette, palette_button
from promptrepo.components.theme import theme_preference_sync
from promptrepo.services.sessions import SIGNED_IN_HINT_COOKIE
from promptrepo.state.base import AppState

# Runs in every page's <head>, before its first paint: marks <html data-signed-in> when the
# browser holds the hint cookie set with the session (api/browser_session.py). Until the
# state has said who is signed in (`AppState.user_checked`), styles.css then hides the
# visitor's "Log in" and "Sign up" instead of flashing them at someone who is signed in.
# It also marks <html data-invite> on the way to an invitation (`?next=/invites/…`), so the
# login page does not greet the invited as returning users before its state answers.
SIGNED_IN_HINT_JS = (
    f'if (document.cookie.split("; ").includes("{SIGNED_IN_HINT_COOKIE}=1"))'
    ' document.documentElement.setAttribute("data-signed-in", "");'
    " if (/[?&]next=(\\/|%2F)invites(\\/|%2F)/i.test(location.search))"
    ' document.documentElement.setAttribute("data-invite", "");'
)


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


def mobile_menu() -> rx.Component:
    """The navigation for narrow screens (below 768 px), where the links do not fit."""
    visitor_items = [
        rx.menu.item("Log in", on_click=rx.redirect(routes.LOGIN)),
        rx.menu.item("Sign up", on_click=rx.redirect(routes.SIGNUP)),
    ]
    user_items = [
        rx.menu.item("Dashboard", on_click=rx.redirect(routes.DASHBOARD)),
        rx.menu.item("Settings", on_click=rx.redirect(routes.SETTINGS)),
        rx.menu.item("Billing", on_click=rx.redirect(routes.BILLING)),
        rx.cond(AppState.is_admin, rx.menu.item("Admin", on_click=rx.redirect(routes.ADMIN))),
        rx.menu.separator(),
        rx.menu.item("Log out", on_click=rx.redirect(routes.LOGOUT), color_scheme="red"),
    ]
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(
                    rx.icon("menu", size=18, aria_hidden="true"),
                    variant="soft",
                    color_scheme="gray",
                    aria_label="Open menu",
                    id="mobile-menu-button",
                )
            ),
            rx.menu.content(
                rx.menu.item("Explore", on_click=rx.redirect(routes.EXPLORE)),
                rx.menu.item("Pricing", on_click=rx.redirect(routes.PRICING)),
                rx.menu.item("API docs", on_click=rx.redirect(routes.API_DOCS)),
                rx.menu.separator(),
                rx.cond(
                    AppState.is_authenticated,
                    rx.fragment(*user_items),
                    rx.fragment(*visitor_items),
                ),
                id="mobile-menu",
                align="end",
            ),
        ),
        display=["block", "block", "none"],
    )


def navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            logo(),
            rx.el.nav(
                rx.hstack(
                    nav_link("Explore", routes.EXPLORE),
                    nav_link("Pricing", routes.PRICING),
                    nav_link("API", routes.API_DOCS),
                    spacing="5",
                ),
                aria_label="Main",
                display=["none", "none", "block"],
            ),
            rx.spacer(),
            rx.hstack(
                rx.cond(AppState.is_authenticated, palette_button()),
                rx.cond(AppState.is_authenticated, bell_mount()),
                theme_toggle(),
                rx.cond(
                    AppState.is_authenticated,
                    rx.hstack(
                        rx.link(rx.button("Dashboard", variant="soft"), href=routes.DASHBOARD),
                        user_menu(),
                        spacing="3",
                        display=["none", "none", "flex"],
                    ),
                    rx.hstack(
                        rx.button(
                            rx.el.a("Log in", href=routes.LOGIN, id="nav-login"),
                            as_child=True,
                            variant="ghost",
                            display=["none", "none", "inline-flex"],
                        ),
                        rx.button(
                            rx.el.a("Sign up", href=routes.SIGNUP, id="nav-signup"),
                            as_child=True,
                            white_space="nowrap",
                        ),
                        spacing="3",
                        align="center",
                        class_name=rx.cond(AppState.user_checked, "", "visitor-pending"),
                    ),
                ),
                mobile_menu(),
                spacing=rx.breakpoints(initial="2", md="3"),  # a phone's navbar: one more icon
                align="center",
            ),
            align="center",
            # a phone's navbar (logo, theme, sign up, menu) fits 375 px only with small gaps
            spacing=rx.breakpoints(initial="3", md="6"),
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


def footer_column(title: str, *links: tuple[str, str]) -> rx.Component:
    return rx.vstack(
        rx.heading(title, as_="h2", size="2", weight="bold", color=rx.color("gray", 12)),
        rx.el.ul(
            *[rx.el.li(nav_link(label, href)) for label, href in links],
            class_name="footer-links",
        ),
        spacing="2",
        min_width="9rem",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.hstack(
                        rx.icon("library-big", size=20, aria_hidden="true"),
                        rx.text("PromptRepo", weight="bold", size="3"),
                        align="center",
                        spacing="2",
                    ),
                    rx.text(
                        "Write, test, version and serve the prompts your LLM apps run on.",
                        size="2",
                        color=rx.color("gray", 11),
                        max_width="22rem",
                    ),
                    spacing="2",
                ),
                rx.spacer(),
                rx.flex(
                    footer_column(
                        "Product",
                        ("Features", "/#features"),
                        ("Pricing", routes.PRICING),
                        ("Explore prompts", routes.EXPLORE),
                    ),
                    footer_column(
                        "Developers",
                        ("API docs", routes.API_DOCS),
                        ("OpenAPI schema", "/api/openapi.json"),
                        ("FAQ", "/#faq"),
                    ),
                    rx.cond(
                        AppState.is_authenticated,
                        footer_column(
                            "Account",
                            ("Dashboard", routes.DASHBOARD),
                            ("Settings", routes.SETTINGS),
                            ("Billing", routes.BILLING),
                        ),
                        footer_column(
                            "Account",
                            # Not "Sign up"/"Log in": the navbar's links keep those names.
                            ("Create an account", routes.SIGNUP),
                            ("Sign in", routes.LOGIN),
                            ("Billing", routes.BILLING),
                        ),
                    ),
                    gap="2rem",
                    wrap="wrap",
                ),
                gap="2rem",
                wrap="wrap",
                width="100%",
            ),
            rx.text("© 2026 PromptRepo", size="2", color=rx.color("gray", 11)),
            spacing="5",
            max_width="1200px",
            margin_x="auto",
            padding="2rem 1.25rem",
        ),
        border_top=f"1px solid {rx.color('gray', 4)}",
        background=rx.color("gray", 2),
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
        rx.cond(AppState.is_authenticated, command_palette()),
        direction="column",
        min_height="100vh",
    )
