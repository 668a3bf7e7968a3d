"""The Promote dialog: publish, roll back, move or remove a label — what it replaces, the
side-by-side diff, the release checks, the label's history, then a confirmation. A Radix
dialog: focus moves into it, Tab stays inside, Escape closes it."""

from __future__ import annotations

import reflex as rx

from promptrepo.components.dialogs import error_callout
from promptrepo.pages.editor.side_by_side import side_by_side_diff
from promptrepo.state.editor import PromoteState
from promptrepo.state.editor.promote import CheckRow, LabelMoveRow


def side_by_side() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            PromoteState.promote_settings,
            lambda t: rx.text(
                t, size="1", color=rx.color("gray", 11), class_name="promote-setting"
            ),
        ),
        side_by_side_diff(
            PromoteState.promote_rows,
            rx.cond(
                PromoteState.promote_current > 0,
                "Live now: v" + PromoteState.promote_current.to_string(),
                "Live now: nothing",
            ),
            rx.cond(
                PromoteState.promote_target > 0,
                "After: v" + PromoteState.promote_target.to_string(),
                "After: nothing (label removed)",
            ),
            "promote-diff",
        ),
        spacing="1",
        width="100%",
    )


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


def checks() -> rx.Component:
    return rx.cond(
        PromoteState.promote_target > 0,
        rx.vstack(
            rx.heading(
                rx.cond(
                    PromoteState.promote_checks_required,
                    "Checks (must pass to publish)",
                    "Checks (for information: only production requires them)",
                ),
                size="2",
                as_="h3",
            ),
            rx.cond(
                PromoteState.promote_checks.length() > 0,
                rx.el.ul(
                    rx.foreach(PromoteState.promote_checks, check_line),
                    padding_left="0",
                    margin="0",
                    list_style="none",
                    font_size="0.85rem",
                ),
                rx.text("This version renders; it has no validators.", size="1"),
            ),
            rx.cond(
                PromoteState.promote_placeholders,
                rx.text(
                    PromoteState.promote_placeholders,
                    size="1",
                    color=rx.color("amber", 11),
                    id="promote-placeholders",
                ),
            ),
            spacing="1",
            width="100%",
            id="promote-checks",
        ),
    )


def history_line(row: LabelMoveRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.when, white_space="nowrap"),
        rx.table.cell(row.who),
        rx.table.cell(row.move, white_space="nowrap"),
        rx.table.cell(row.reason),
    )


def label_history() -> rx.Component:
    return rx.vstack(
        rx.heading("History of ", PromoteState.promote_label, size="2", as_="h3"),
        rx.cond(
            PromoteState.promote_history.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("When"),
                        rx.table.column_header_cell("Who"),
                        rx.table.column_header_cell("Move"),
                        rx.table.column_header_cell("Why"),
                    )
                ),
                rx.table.body(rx.foreach(PromoteState.promote_history, history_line)),
                size="1",
                width="100%",
            ),
            rx.text("Never moved before.", size="1", color=rx.color("gray", 11)),
        ),
        spacing="1",
        width="100%",
        max_height="20vh",
        overflow_y="auto",
        id="promote-history",
    )


def promote_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(PromoteState.promote_title),
            rx.dialog.description(PromoteState.promote_summary, size="2", id="promote-summary"),
            rx.vstack(
                rx.cond(
                    PromoteState.promote_refusal,
                    rx.callout(
                        rx.vstack(
                            rx.text(PromoteState.promote_refusal, weight="medium"),
                            rx.el.ul(
                                rx.foreach(
                                    PromoteState.promote_refusal_details, lambda d: rx.el.li(d)
                                ),
                                padding_left="1.2rem",
                                margin="0",
                            ),
                            spacing="1",
                        ),
                        icon="shield-alert",
                        color_scheme="red",
                        role="alert",
                        id="promote-refusal",
                        width="100%",
                    ),
                ),
                rx.cond(
                    PromoteState.promote_needs_review,
                    rx.callout(
                        "This project's production label moves only after review: confirming "
                        "sends a proposal to the other editors and the owner, and the label "
                        "moves when one of them approves it.",
                        icon="users",
                        color_scheme="blue",
                        id="promote-review-note",
                        width="100%",
                    ),
                ),
                side_by_side(),
                checks(),
                label_history(),
                rx.el.label(
                    rx.cond(
                        PromoteState.promote_needs_review,
                        "Message for the reviewers (kept with the proposal and the history)",
                        "Why (kept in the label's history)",
                    ),
                    html_for="promote-reason",
                ),
                rx.input(
                    value=PromoteState.promote_reason,
                    on_change=PromoteState.set_promote_reason,
                    id="promote-reason",
                    max_length=500,
                    placeholder="e.g. v4 fixes the tone; v5 broke JSON parsing",
                    width="100%",
                ),
                error_callout(PromoteState.promote_error, id="promote-error", width="100%"),
                rx.hstack(
                    rx.dialog.close(
                        rx.button(
                            "Cancel", variant="soft", color_scheme="gray", id="promote-cancel"
                        )
                    ),
                    rx.button(
                        PromoteState.promote_confirm_text,
                        on_click=PromoteState.confirm_promote,
                        disabled=~PromoteState.promote_allowed,
                        color_scheme=rx.cond(
                            PromoteState.promote_kind == "remove",
                            "red",
                            rx.cond(PromoteState.promote_kind == "rollback", "orange", "green"),
                        ),
                        id="promote-confirm",
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="0.75rem",
            ),
            max_width="960px",
            id="promote-dialog",
        ),
        open=PromoteState.promote_open,
        on_open_change=PromoteState.set_promote_open,
    )
