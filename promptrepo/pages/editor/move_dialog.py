"""Pieces the three label-move dialogs share (Promote, Split traffic, Review): the dialog's
frame, the refusal callout, the settings and side-by-side diff, the checks list, the label's
history table, the reason field and the row of buttons. Each dialog passes its own state
vars and element ids."""

from __future__ import annotations

import reflex as rx

from promptrepo.state.editor.promote import CheckRow, LabelMoveRow


def move_dialog(
    title: rx.Component,
    description: rx.Component,
    *body: rx.Component,
    id: str,
    open: rx.Var,
    on_open_change: rx.EventHandler,
) -> rx.Component:
    """A Radix dialog: focus moves into it, Tab stays inside, Escape closes it."""
    return rx.dialog.root(
        rx.dialog.content(
            title,
            description,
            rx.vstack(*body, spacing="3", width="100%", margin_top="0.75rem"),
            # Radix sizes the dialog to its widest content (the diff, the history table) with
            # no regard for the window: on a phone it ran 18 px past the edge, its buttons cut.
            max_width="min(960px, calc(100vw - 2rem))",
            id=id,
        ),
        open=open,
        on_open_change=on_open_change,
    )


def refusal_callout(refusal: rx.Var, details: rx.Var, id: str) -> rx.Component:
    """Why the move is refused (the reason, then each detail), shown only when it is."""
    return rx.cond(
        refusal,
        rx.callout(
            rx.vstack(
                rx.text(refusal, weight="medium"),
                rx.el.ul(
                    rx.foreach(details, lambda d: rx.el.li(d)),
                    padding_left="1.2rem",
                    margin="0",
                ),
                spacing="1",
            ),
            icon="shield-alert",
            color_scheme="red",
            role="alert",
            id=id,
            width="100%",
        ),
    )


def setting_lines(settings: rx.Var, **props) -> rx.Component:
    """The model settings the move changes, one `key: old → new` line each."""
    return rx.foreach(settings, lambda t: rx.text(t, size="1", color=rx.color("gray", 11), **props))


def check_line(row: CheckRow) -> rx.Component:
    return rx.el.li(
        rx.badge(
            rx.cond(row.passed, "pass", "fail"),
            color_scheme=rx.cond(row.passed, "green", "red"),
            size="1",
        ),
        " ",
        rx.text(row.type, weight="bold", as_="span"),
        " ",
        row.message,
        custom_attrs={"data-passed": rx.cond(row.passed, "true", "false")},
    )


def checks_list(checks: rx.Var, when_none: str, **props) -> rx.Component:
    """The release checks, one line each, or `when_none` when there are none."""
    return rx.cond(
        checks.length() > 0,
        rx.el.ul(
            rx.foreach(checks, check_line),
            padding_left="0",
            margin="0",
            list_style="none",
            font_size="0.85rem",
            **props,
        ),
        rx.text(when_none, size="1"),
    )


def history_line(row: LabelMoveRow) -> rx.Component:
    return rx.table.row(
        # on one line from a tablet up; on a phone the time goes under the date, so "Why"
        # fits beside it
        rx.table.cell(row.when, white_space=rx.breakpoints(initial="normal", sm="nowrap")),
        rx.table.cell(row.who),
        rx.table.cell(row.move, white_space="nowrap"),
        rx.table.cell(row.reason),
    )


def history_table(moves: rx.Var) -> rx.Component:
    """The label's earlier moves: when, who, the move and why."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("When"),
                rx.table.column_header_cell("Who"),
                rx.table.column_header_cell("Move"),
                rx.table.column_header_cell("Why"),
            )
        ),
        rx.table.body(rx.foreach(moves, history_line)),
        size="1",
        width="100%",
    )


def reason_field(
    label: str | rx.Var, value: rx.Var, on_change: rx.EventHandler, id: str, **props
) -> rx.Component:
    """The label and the one-line input of the reason kept with the move."""
    return rx.fragment(
        rx.el.label(label, html_for=id),
        rx.input(value=value, on_change=on_change, id=id, width="100%", **props),
    )


def dialog_buttons(close: str, close_id: str, *buttons: rx.Component, **props) -> rx.Component:
    """The row at the dialog's foot: a grey button that closes it, then the dialog's own."""
    return rx.hstack(
        rx.dialog.close(rx.button(close, variant="soft", color_scheme="gray", id=close_id)),
        *buttons,
        justify="end",
        width="100%",
        **props,
    )
