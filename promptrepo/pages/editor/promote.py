"""The Promote dialog: publish, roll back, move or remove a label — what it replaces, the
side-by-side diff, the release checks, the label's history, then a confirmation. A Radix
dialog (its frame and the sections it shares with Split and Review: move_dialog.py)."""

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
    setting_lines,
)
from promptrepo.pages.editor.side_by_side import side_by_side_diff
from promptrepo.state.editor import PromoteState


def side_by_side() -> rx.Component:
    return rx.vstack(
        setting_lines(PromoteState.promote_settings, class_name="promote-setting"),
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
            checks_list(PromoteState.promote_checks, "This version renders; it has no validators."),
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


def label_history() -> rx.Component:
    return rx.vstack(
        rx.heading("History of ", PromoteState.promote_label, size="2", as_="h3"),
        rx.cond(
            PromoteState.promote_history.length() > 0,
            history_table(PromoteState.promote_history),
            rx.text("Never moved before.", size="1", color=rx.color("gray", 11)),
        ),
        spacing="1",
        width="100%",
        max_height="20vh",
        overflow_y="auto",
        id="promote-history",
    )


def promote_dialog() -> rx.Component:
    return move_dialog(
        rx.dialog.title(PromoteState.promote_title),
        rx.dialog.description(PromoteState.promote_summary, size="2", id="promote-summary"),
        refusal_callout(
            PromoteState.promote_refusal, PromoteState.promote_refusal_details, "promote-refusal"
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
        reason_field(
            rx.cond(
                PromoteState.promote_needs_review,
                "Message for the reviewers (kept with the proposal and the history)",
                "Why (kept in the label's history)",
            ),
            PromoteState.promote_reason,
            PromoteState.set_promote_reason,
            "promote-reason",
            max_length=500,
            placeholder="e.g. v4 fixes the tone; v5 broke JSON parsing",
        ),
        error_callout(PromoteState.promote_error, id="promote-error", width="100%"),
        dialog_buttons(
            "Cancel",
            "promote-cancel",
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
        ),
        id="promote-dialog",
        open=PromoteState.promote_open,
        on_open_change=PromoteState.set_promote_open,
    )
