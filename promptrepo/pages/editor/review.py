"""Reviewed releases in the editor: the prompt's proposals (History tab) and the Review
dialog — what the proposal would do against what is live (diff, checks, test cases), then
Approve, Reject (with a reason) or Withdraw (one's own). A Radix dialog, like Promote (the
sections they share: move_dialog.py)."""

from __future__ import annotations

import reflex as rx

from promptrepo.components.dialogs import error_callout
from promptrepo.pages.editor.move_dialog import (
    checks_list,
    dialog_buttons,
    move_dialog,
    reason_field,
    refusal_callout,
    setting_lines,
)
from promptrepo.pages.editor.side_by_side import side_by_side_diff
from promptrepo.state.editor.review import ProposalRow, ReviewState

STATUS_COLORS = {"open": "amber", "approved": "green", "rejected": "red", "withdrawn": "gray"}


def status_badge(status: rx.Var) -> rx.Component:
    return rx.badge(
        status,
        color_scheme=rx.match(
            status,
            *[(name, color) for name, color in STATUS_COLORS.items()],
            "gray",
        ),
        size="1",
    )


def proposal_row(row: ProposalRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(status_badge(row.status)),
        rx.table.cell(row.label, " → ", rx.text(row.change, weight="bold", as_="span")),
        rx.table.cell(row.proposer, rx.text(" · ", row.when, size="1", as_="span")),
        rx.table.cell(rx.cond(row.decision, row.decision, row.message)),
        rx.table.cell(
            rx.button(
                rx.cond(row.status == "open", "Review", "View"),
                size="1",
                variant="soft",
                on_click=ReviewState.open_review(row.id),
                aria_label="Review the proposal " + row.label + " → " + row.change,
                class_name="proposal-review",
            )
        ),
        custom_attrs={"data-status": row.status},
        class_name="proposal-row",
    )


def proposals_pane() -> rx.Component:
    return rx.cond(
        ReviewState.proposals.length() > 0,
        rx.vstack(
            rx.heading(
                "Release proposals ",
                rx.cond(
                    ReviewState.open_proposals > 0,
                    rx.badge(ReviewState.open_proposals.to_string(), " open", color_scheme="amber"),
                ),
                size="3",
                as_="h3",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell("Move"),
                        rx.table.column_header_cell("Proposed by"),
                        rx.table.column_header_cell("Message / decision"),
                        rx.table.column_header_cell(rx.el.span("Actions", class_name="sr-only")),
                    )
                ),
                rx.table.body(rx.foreach(ReviewState.proposals, proposal_row)),
                size="1",
                width="100%",
            ),
            spacing="2",
            width="100%",
            id="proposals-pane",
        ),
    )


def review_dialog() -> rx.Component:
    review = ReviewState.review
    # Who may do what, composed here rather than as computed vars of ReviewState: one that
    # reads `can_write` (EditorState's) would make Reflex load the whole history subtree
    # (history, comments, promote, split, review) for every event of the editor.
    is_open = review.status == "open"
    can_reject = ReviewState.can_write & is_open & ~ReviewState.review_is_mine
    can_decide = can_reject & (ReviewState.review_refusal == "")
    can_withdraw = ReviewState.can_write & is_open & ReviewState.review_is_mine
    return move_dialog(
        rx.dialog.title("Review: ", review.label, " → ", review.change),
        rx.dialog.description(
            review.proposer,
            " proposed this ",
            review.when,
            rx.cond(review.message, rx.fragment(": “", review.message, "”."), "."),
            " Live when proposed: ",
            review.base,
            "; live now: ",
            ReviewState.review_live,
            ".",
            size="2",
            id="review-summary",
        ),
        rx.hstack(status_badge(review.status), rx.text(review.decision, size="2")),
        refusal_callout(
            ReviewState.review_refusal, ReviewState.review_refusal_details, "review-refusal"
        ),
        setting_lines(ReviewState.review_settings),
        side_by_side_diff(
            ReviewState.review_rows,
            "Live now: " + ReviewState.review_live,
            "Proposed: " + review.change,
            "review-diff",
        ),
        rx.heading("Checks", size="2", as_="h3"),
        checks_list(ReviewState.review_checks, "Renders; no validators.", id="review-checks"),
        rx.heading("Test cases", size="2", as_="h3"),
        rx.cond(
            ReviewState.review_tests.length() > 0,
            rx.el.ul(
                rx.foreach(ReviewState.review_tests, lambda t: rx.el.li(t)),
                font_size="0.85rem",
                color=rx.color("red", 11),
                id="review-tests",
            ),
            rx.text(
                "Nothing blocks it (the test-case gate is off, or every case passes).",
                size="1",
            ),
        ),
        rx.cond(
            can_reject,
            rx.vstack(
                reason_field(
                    "Reason (required to reject; kept with the decision)",
                    ReviewState.review_reason,
                    ReviewState.set_review_reason,
                    "review-reason",
                    max_length=500,
                ),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            ReviewState.review_is_mine & (review.status == "open"),
            rx.text(
                "You proposed this: another editor or the owner approves it.",
                size="2",
                color=rx.color("gray", 11),
                id="review-self-note",
            ),
        ),
        error_callout(ReviewState.review_error, id="review-error", width="100%"),
        dialog_buttons(
            "Close",
            "review-close",
            rx.cond(
                can_withdraw,
                rx.button(
                    "Withdraw",
                    variant="soft",
                    color_scheme="orange",
                    on_click=ReviewState.withdraw_proposal,
                    id="review-withdraw",
                ),
            ),
            rx.cond(
                can_reject,
                rx.button(
                    "Reject",
                    color_scheme="red",
                    variant="soft",
                    on_click=ReviewState.reject_proposal,
                    id="review-reject",
                ),
            ),
            rx.cond(
                ReviewState.can_write & is_open,
                rx.button(
                    "Approve and move the label",
                    color_scheme="green",
                    on_click=ReviewState.approve_proposal,
                    disabled=~can_decide,
                    id="review-approve",
                ),
            ),
            wrap="wrap",
        ),
        id="review-dialog",
        open=ReviewState.review_open,
        on_open_change=ReviewState.set_review_open,
    )
