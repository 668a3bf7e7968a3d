"""Form pieces shared by the pages: labelled inputs with inline errors, a copy button."""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.base import Var


def field(
    label: str,
    *,
    name: str,
    id: str,
    error: Var,
    type: str = "text",
    auto_complete: str = "off",
    auto_focus: bool = False,
    hint: str = "",
    **props,
) -> rx.Component:
    """A label, an input and its error message (announced to screen readers)."""
    return rx.vstack(
        rx.el.label(label, html_for=id, font_weight="500", font_size="0.9rem"),
        rx.input(
            name=name,
            id=id,
            type=type,
            auto_complete=auto_complete,
            auto_focus=auto_focus,
            size="3",
            width="100%",
            aria_describedby=f"{id}-error",
            aria_invalid=rx.cond(error, "true", "false"),
            **props,
        ),
        rx.text(hint, size="1", color=rx.color("gray", 11)) if hint else rx.fragment(),
        rx.text(
            error,
            id=f"{id}-error",
            size="2",
            color=rx.color("red", 11),
            role="alert",
            display=rx.cond(error, "block", "none"),
        ),
        spacing="1",
        width="100%",
        align="stretch",
    )


def form_alert(message: Var, *, id: str, color_scheme: str = "red") -> rx.Component:
    return rx.cond(
        message,
        rx.callout(
            message,
            icon="circle-alert" if color_scheme == "red" else "info",
            color_scheme=color_scheme,
            id=id,
            role="alert",
            width="100%",
        ),
    )


def card(*children: rx.Component, heading: str, subheading: str = "") -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading(heading, as_="h1", size="7"),
                rx.text(subheading, color=rx.color("gray", 11)) if subheading else rx.fragment(),
                *children,
                spacing="4",
                width="100%",
                align="stretch",
            ),
            size="4",
            width="100%",
            max_width="26rem",
        ),
        width="100%",
        padding_y="2rem",
    )


def copy_button(value: Var, *, id: str, **props) -> rx.Component:
    """A "Copy" button that puts `value` on the clipboard and says so."""
    return rx.button(
        rx.icon("copy", size=14),
        "Copy",
        variant="soft",
        on_click=[rx.set_clipboard(value), rx.toast.success("Copied.")],
        id=id,
        **props,
    )
