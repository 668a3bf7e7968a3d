"""Dialog pieces shared by the pages: an error callout and the confirm-before-deleting dialog."""

from __future__ import annotations

from typing import Any

import reflex as rx


def error_callout(message: rx.Var, **props: Any) -> rx.Component:
    """A red alert showing `message`, rendered only when it is not empty."""
    props.setdefault("id", "form-error")
    return rx.cond(
        message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(message),
            color_scheme="red",
            role="alert",
            **props,
        ),
    )


def confirm_delete_dialog(
    *,
    title: rx.Component | str,
    description: rx.Component,
    confirm_label: str,
    on_confirm: Any,
    is_open: rx.Var,
    on_open_change: Any,
    error: rx.Var,
) -> rx.Component:
    """An alert dialog that asks before deleting; Cancel is the default, Delete is red."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            description,
            error_callout(error),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(
                    confirm_label, color_scheme="red", on_click=on_confirm, id="confirm-delete"
                ),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
        open=is_open,
        on_open_change=on_open_change,
    )
