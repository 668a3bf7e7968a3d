"""The Split traffic dialog (a second version and its share, previewed like every label move,
then confirmed) and the History tab's served counts per version. A Radix dialog (its frame and
the sections it shares with Promote and Review: move_dialog.py); every field has a label."""

from __future__ import annotations

import reflex as rx

from promptrepo.components.dialogs import error_callout
from promptrepo.pages.editor.move_dialog import (
    checks_list,
    dialog_buttons,
    history_table,
    move_dialog,
    reason_field,
    refusal_callout,
)
from promptrepo.pages.editor.side_by_side import side_by_side_diff
from promptrepo.state.editor import SplitState
from promptrepo.state.editor.split import ServedRow, ServedShare


def _field(label: str, html_for: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=html_for, font_size="0.85rem", font_weight="500"),
        control,
        spacing="1",
    )


def split_form() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            _field(
                "Live version",
                "split-first",
                rx.input(
                    value="v" + SplitState.split_first.to_string(),
                    read_only=True,
                    id="split-first",
                    size="2",
                    width="6rem",
                ),
            ),
            _field(
                "Its share (%)",
                "split-first-weight",
                rx.input(
                    value=SplitState.split_first_weight,
                    read_only=True,
                    id="split-first-weight",
                    size="2",
                    width="6rem",
                ),
            ),
            _field(
                "Second version",
                "split-second",
                rx.select(
                    SplitState.split_candidates,
                    value=SplitState.split_second,
                    on_change=SplitState.set_split_second,
                    placeholder="version",
                    aria_label="Second version",
                    id="split-second",
                    size="2",
                ),
            ),
            _field(
                "Its share (%)",
                "split-weight",
                rx.input(
                    value=SplitState.split_weight,
                    on_change=SplitState.set_split_weight,
                    type="number",
                    min=1,
                    max=99,
                    step=1,
                    input_mode="numeric",
                    id="split-weight",
                    size="2",
                    width="6rem",
                    aria_describedby="split-weight-help",
                ),
            ),
            spacing="4",
            wrap="wrap",
            align="end",
        ),
        rx.cond(
            SplitState.split_weight_error,
            rx.text(
                SplitState.split_weight_error,
                size="1",
                color=rx.color("red", 11),
                role="alert",
                id="split-weight-help",
            ),
            rx.text(
                SplitState.split_summary,
                size="1",
                color=rx.color("gray", 11),
                id="split-weight-help",
            ),
        ),
        spacing="2",
        width="100%",
    )


def split_checks() -> rx.Component:
    return rx.vstack(
        rx.heading(
            rx.cond(
                SplitState.split_checks_required,
                "Checks of the new version (must pass, as for publishing)",
                "Checks of the new version (for information: only production requires them)",
            ),
            size="2",
            as_="h3",
        ),
        rx.cond(
            SplitState.split_loading,
            rx.hstack(rx.spinner(size="1"), rx.text("Checking…", size="1"), align="center"),
            checks_list(SplitState.split_checks, "The version renders; it has no validators."),
        ),
        spacing="1",
        width="100%",
        id="split-checks",
    )


def split_dialog() -> rx.Component:
    return move_dialog(
        rx.dialog.title("Split traffic of ", SplitState.split_label),
        rx.dialog.description(
            rx.cond(
                SplitState.split_now,
                SplitState.split_label + " serves " + SplitState.split_now + " today.",
                SplitState.split_label
                + " points at v"
                + SplitState.split_first.to_string()
                + " today.",
            ),
            " Give a second version a share of the requests; programs that send a key "
            "keep their version. Ending the split is one label move.",
            size="2",
            id="split-summary",
        ),
        split_form(),
        refusal_callout(
            SplitState.split_refusal, SplitState.split_refusal_details, "split-refusal"
        ),
        side_by_side_diff(
            SplitState.split_rows,
            "Live now: v" + SplitState.split_first.to_string(),
            "Also served: v" + SplitState.split_second,
            "split-diff",
        ),
        split_checks(),
        rx.cond(
            SplitState.split_history.length() > 0,
            rx.vstack(
                rx.heading("History of ", SplitState.split_label, size="2", as_="h3"),
                history_table(SplitState.split_history),
                spacing="1",
                width="100%",
                max_height="16vh",
                overflow_y="auto",
            ),
        ),
        reason_field(
            "Why (kept in the label's history)",
            SplitState.split_reason,
            SplitState.set_split_reason,
            "split-reason",
            max_length=400,
            placeholder="e.g. try v4's shorter answers on 10 % of users",
        ),
        error_callout(SplitState.split_error, id="split-error", width="100%"),
        dialog_buttons(
            "Cancel",
            "split-cancel",
            rx.button(
                "Start split",
                on_click=SplitState.confirm_split,
                disabled=~SplitState.split_allowed,
                color_scheme="green",
                id="split-confirm",
            ),
        ),
        id="split-dialog",
        open=SplitState.split_open,
        on_open_change=SplitState.set_split_open,
    )


# --------------------------------------------------------------------------- served counts
def _share(share: ServedShare) -> rx.Component:
    return rx.hstack(
        rx.text(share.version, weight="bold", size="1", width="3rem"),
        rx.box(
            rx.box(
                width=share.percent.to_string() + "%",
                height="100%",
                background=rx.color("accent", 9),
                border_radius="3px",
            ),
            width="10rem",
            height="0.6rem",
            background=rx.color("gray", 4),
            border_radius="3px",
            role="img",
            aria_label=share.version + ": " + share.percent.to_string() + " percent",
        ),
        rx.text(share.count, " (", share.percent.to_string(), "%)", size="1"),
        align="center",
        spacing="2",
        class_name="served-share",
    )


def _row(row: ServedRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.when, white_space="nowrap"),
        rx.foreach(row.cells, lambda cell: rx.table.cell(cell, text_align="right")),
        rx.table.cell(row.total, text_align="right"),
    )


def served_pane() -> rx.Component:
    """Requests served per version per hour (resolve, render, Langfuse, MCP)."""
    return rx.vstack(
        rx.hstack(
            rx.heading("Served, last 6 hours", size="2", as_="h3"),
            rx.button(
                rx.icon("refresh-cw", size=12),
                "Refresh",
                size="1",
                variant="soft",
                on_click=SplitState.load_served,
                id="served-refresh",
            ),
            align="center",
        ),
        rx.cond(
            SplitState.served_rows.length() > 0,
            rx.vstack(
                rx.foreach(SplitState.served_shares, _share),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Hour"),
                            rx.foreach(
                                SplitState.served_versions,
                                lambda v: rx.table.column_header_cell(v, text_align="right"),
                            ),
                            rx.table.column_header_cell("All", text_align="right"),
                        )
                    ),
                    rx.table.body(rx.foreach(SplitState.served_rows, _row)),
                    size="1",
                ),
                spacing="2",
                width="100%",
            ),
            rx.text(
                rx.cond(
                    SplitState.served_loaded,
                    "Nothing served in the last 6 hours. Programs fetch this prompt with "
                    "resolve, render, the Langfuse API or MCP; each request is counted here.",
                    "Loading…",
                ),
                size="1",
                color=rx.color("gray", 11),
            ),
        ),
        spacing="2",
        width="100%",
        id="served-pane",
        on_mount=SplitState.load_served,
    )
