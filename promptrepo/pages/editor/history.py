"""The History tab: versions, publish and roll back, labels, compare; the version viewer."""

from __future__ import annotations

import reflex as rx

from promptrepo.pages.editor.comments import comments_pane, line_actions
from promptrepo.pages.editor.common import MONO
from promptrepo.pages.editor.review import proposals_pane
from promptrepo.pages.editor.side_by_side import side_by_side_diff
from promptrepo.pages.editor.split import served_pane
from promptrepo.state.editor import (
    CommentsState,
    EditorState,
    HistoryState,
    LabelEventRow,
    LabelRow,
    PromoteState,
    SplitState,
    VersionRow,
)


def label_badge(label: rx.Var) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.cond(
            label == "production", "green", rx.cond(label == "staging", "blue", "gray")
        ),
        variant=rx.cond(label == "production", "solid", "soft"),
    )


def version_row(row: VersionRow) -> rx.Component:
    n = row.number
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("v", n.to_string(), weight="bold"),
                rx.foreach(row.labels, label_badge),
                rx.spacer(),
                rx.text(row.created, size="1", color=rx.color("gray", 11)),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                rx.cond(row.message, row.message, "No message"),
                " · ",
                rx.cond(row.author, row.author, "unknown author"),
                size="1",
                color=rx.color("gray", 11),
            ),
            rx.hstack(
                rx.button(
                    "View",
                    size="1",
                    variant="soft",
                    on_click=HistoryState.view_version(n),
                    id=f"view-{n}",
                ),
                rx.button(
                    rx.icon("message-square", size=12),
                    "Comments",
                    size="1",
                    variant=rx.cond(CommentsState.comment_version == n, "solid", "soft"),
                    on_click=CommentsState.select_comment_version(n),
                    aria_label="Comments on version " + n.to_string(),
                    id=f"comments-{n}",
                ),
                rx.cond(
                    n > 1,
                    rx.button(
                        "Diff with previous",
                        size="1",
                        variant="soft",
                        on_click=HistoryState.compare_with_previous(n),
                        id=f"diff-prev-{n}",
                    ),
                ),
                rx.cond(
                    EditorState.can_write,
                    rx.fragment(
                        rx.cond(
                            row.is_published,
                            rx.fragment(),
                            rx.cond(
                                (HistoryState.production_version > n),
                                rx.button(
                                    rx.icon("undo-2", size=12),
                                    "Roll back to this",
                                    size="1",
                                    color_scheme="orange",
                                    on_click=PromoteState.open_promote("production", n),
                                    id=f"rollback-{n}",
                                ),
                                rx.button(
                                    rx.icon("rocket", size=12),
                                    "Publish",
                                    size="1",
                                    color_scheme="green",
                                    on_click=PromoteState.open_promote("production", n),
                                    id=f"publish-{n}",
                                ),
                            ),
                        ),
                        rx.alert_dialog.root(
                            rx.alert_dialog.trigger(
                                rx.button(
                                    "Restore into draft",
                                    size="1",
                                    variant="soft",
                                    color_scheme="gray",
                                    id=f"restore-{n}",
                                )
                            ),
                            rx.alert_dialog.content(
                                rx.alert_dialog.title("Restore version ", n.to_string(), "?"),
                                rx.alert_dialog.description(
                                    "The draft's text, variables and validators are replaced by "
                                    "this version's. Save the current draft as a version first if "
                                    "you want to come back to it."
                                ),
                                rx.hstack(
                                    rx.alert_dialog.cancel(
                                        rx.button("Cancel", variant="soft", color_scheme="gray")
                                    ),
                                    rx.alert_dialog.action(
                                        rx.button(
                                            "Restore",
                                            on_click=HistoryState.restore_version(n),
                                            id=f"confirm-restore-{n}",
                                        )
                                    ),
                                    justify="end",
                                    margin_top="1rem",
                                ),
                            ),
                        ),
                        rx.alert_dialog.root(
                            rx.alert_dialog.trigger(
                                rx.icon_button(
                                    rx.icon("trash-2", size=12),
                                    size="1",
                                    variant="ghost",
                                    color_scheme="red",
                                    aria_label="Delete version",
                                    id=f"delete-{n}",
                                )
                            ),
                            rx.alert_dialog.content(
                                rx.alert_dialog.title("Delete version ", n.to_string(), "?"),
                                rx.alert_dialog.description(
                                    "This cannot be undone. A version that carries a label cannot be deleted."
                                ),
                                rx.hstack(
                                    rx.alert_dialog.cancel(
                                        rx.button("Cancel", variant="soft", color_scheme="gray")
                                    ),
                                    rx.alert_dialog.action(
                                        rx.button(
                                            "Delete",
                                            color_scheme="red",
                                            on_click=HistoryState.delete_version(n),
                                            id=f"confirm-delete-{n}",
                                        )
                                    ),
                                    justify="end",
                                    margin_top="1rem",
                                ),
                            ),
                        ),
                    ),
                ),
                wrap="wrap",
                spacing="2",
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        size="1",
        id=f"version-{n}",
    )


def messages() -> rx.Component:
    return rx.fragment(
        rx.cond(
            HistoryState.publish_errors.length() > 0,
            rx.callout(
                rx.vstack(
                    rx.text(HistoryState.publish_error_title, weight="medium"),
                    rx.el.ul(
                        rx.foreach(HistoryState.publish_errors, lambda e: rx.el.li(e)),
                        padding_left="1.2rem",
                        margin="0",
                    ),
                    rx.button(
                        "Dismiss",
                        size="1",
                        variant="ghost",
                        on_click=HistoryState.dismiss_publish_errors,
                    ),
                    spacing="1",
                ),
                icon="shield-alert",
                color_scheme="red",
                id="publish-errors",
                role="alert",
                width="100%",
            ),
        ),
        rx.cond(
            HistoryState.history_message,
            rx.text(
                HistoryState.history_message,
                size="1",
                color=rx.color("green", 11),
                id="history-message",
            ),
        ),
    )


def environment(label: LabelRow) -> rx.Component:
    return rx.hstack(
        rx.badge(
            label.name,
            " → ",
            rx.cond(label.split, label.split, "v" + label.version.to_string()),
            variant=rx.cond(label.name == "production", "solid", "soft"),
            color_scheme=rx.cond(
                label.name == "production",
                "green",
                rx.cond(label.name == "staging", "blue", "gray"),
            ),
        ),
        rx.text(
            rx.cond(label.moved_by, label.moved_by, "unknown"),
            " · ",
            label.moved_at,
            size="1",
            color=rx.color("gray", 11),
        ),
        rx.cond(EditorState.can_write, split_actions(label)),
        rx.cond(
            EditorState.can_write,
            rx.icon_button(
                rx.icon("x", size=12),
                size="1",
                variant="ghost",
                color_scheme="gray",
                on_click=PromoteState.open_promote(label.name, 0),
                aria_label="Remove label " + label.name,
                title="Remove label " + label.name,
                id="remove-label-" + label.name,
            ),
        ),
        spacing="1",
        align="center",
        padding="0.25rem 0.5rem",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="6px",
        class_name="environment",
    )


def environments_bar() -> rx.Component:
    """Where each label points, who moved it and when."""
    return rx.hstack(
        rx.text("Published: ", size="2"),
        rx.cond(
            HistoryState.production_version > 0,
            rx.badge(
                "v",
                HistoryState.production_version.to_string(),
                color_scheme="green",
                id="production-version",
            ),
            rx.badge("nothing yet", color_scheme="gray", id="production-version"),
        ),
        rx.foreach(HistoryState.label_rows, environment),
        align="center",
        wrap="wrap",
        spacing="2",
        width="100%",
        id="environments",
    )


def label_event_row(row: LabelEventRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(label_badge(row.label)),
        rx.table.cell(rx.text(row.move, weight="medium", white_space="nowrap")),
        rx.table.cell(
            rx.text(row.who, " · ", row.when, size="1", color=rx.color("gray", 11)),
            rx.cond(row.reason != "", rx.text(row.reason, size="1")),
        ),
        rx.table.cell(
            rx.cond(
                EditorState.can_write & row.can_revert,
                rx.button(
                    rx.icon("undo-2", size=12),
                    "Revert",
                    size="1",
                    variant="soft",
                    on_click=PromoteState.revert_move(
                        row.label, row.revert_to, "Revert " + row.label + " " + row.move
                    ),
                    aria_label="Revert "
                    + row.label
                    + " "
                    + row.move
                    + rx.cond(row.revert_to > 0, "", " (removes the label)"),
                    class_name="revert-label-move",
                ),
            )
        ),
        class_name="label-event",
        data_label=row.label,
    )


def label_history() -> rx.Component:
    """Every move of the prompt's labels, newest first; each can be undone through the
    promote dialog (which shows the diff and the checks first)."""
    return rx.vstack(
        rx.heading("Label history", size="3", as_="h3"),
        rx.cond(
            HistoryState.label_events.length() > 0,
            rx.table.root(
                rx.table.body(rx.foreach(HistoryState.label_events, label_event_row)),
                size="1",
                width="100%",
            ),
            rx.text(
                "No label has moved yet: publishing a version starts the history.",
                size="2",
                color=rx.color("gray", 11),
            ),
        ),
        spacing="2",
        width="100%",
        id="label-history",
    )


def label_form() -> rx.Component:
    return rx.cond(
        EditorState.can_write & (HistoryState.version_rows.length() > 0),
        rx.vstack(
            rx.heading("Point a label", size="2", as_="h3"),
            rx.hstack(
                rx.input(
                    value=HistoryState.label_name_input,
                    on_change=HistoryState.set_label_name_input,
                    placeholder="staging, canary…",
                    aria_label="Label name",
                    size="1",
                    id="label-name",
                    max_length=36,
                ),
                rx.select(
                    HistoryState.version_numbers,
                    value=HistoryState.label_version_input,
                    on_change=HistoryState.set_label_version_input,
                    placeholder="version",
                    aria_label="Version for the label",
                    size="1",
                    id="label-version",
                ),
                rx.button(
                    "Set label",
                    size="1",
                    variant="soft",
                    on_click=PromoteState.apply_label,
                    id="set-label",
                ),
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                HistoryState.label_error,
                rx.text(
                    HistoryState.label_error, size="1", color=rx.color("red", 11), role="alert"
                ),
            ),
            rx.text(
                "production = published (validators must pass). Every move opens a preview "
                "to confirm. Names: lowercase letters, digits, _ . - (at most 36).",
                size="1",
                color=rx.color("gray", 11),
            ),
            spacing="2",
            width="100%",
        ),
    )


def versions_pane() -> rx.Component:
    return rx.vstack(
        rx.cond(
            HistoryState.version_rows.length() > 0,
            rx.vstack(
                rx.foreach(HistoryState.version_rows, version_row),
                rx.hstack(
                    rx.button(
                        "Newer",
                        size="1",
                        variant="soft",
                        disabled=~HistoryState.has_newer_versions,
                        on_click=HistoryState.versions_page(-1),
                    ),
                    rx.text(HistoryState.versions_page_label, size="1"),
                    rx.button(
                        "Older",
                        size="1",
                        variant="soft",
                        disabled=~HistoryState.has_older_versions,
                        on_click=HistoryState.versions_page(1),
                    ),
                    align="center",
                ),
                spacing="2",
                width="100%",
                id="versions-list",
            ),
            rx.text(
                "No versions yet. Use “Save version” to snapshot the draft.",
                size="2",
                id="no-versions",
            ),
        ),
        label_form(),
        spacing="3",
        flex="1",
        min_width="min(100%, 20rem)",
    )


def compare_pane() -> rx.Component:
    return rx.cond(
        HistoryState.version_rows.length() > 0,
        rx.vstack(
            rx.hstack(
                rx.heading("Compare", size="2", as_="h3"),
                rx.select(
                    HistoryState.version_numbers,
                    value=HistoryState.diff_from,
                    on_change=HistoryState.set_diff_from,
                    size="1",
                    id="diff-from",
                    aria_label="Compare from version",
                ),
                rx.text("→", size="2"),
                rx.select(
                    HistoryState.version_numbers,
                    value=HistoryState.diff_to,
                    on_change=HistoryState.set_diff_to,
                    size="1",
                    id="diff-to",
                    aria_label="Compare to version",
                ),
                rx.button("Show diff", size="1", on_click=HistoryState.show_diff, id="show-diff"),
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                HistoryState.diff_title,
                rx.vstack(
                    rx.text(
                        HistoryState.diff_title, weight="medium", size="2", id="diff-view-title"
                    ),
                    rx.foreach(
                        HistoryState.diff_extra,
                        lambda t: rx.text(
                            t, size="1", color=rx.color("gray", 11), class_name="diff-extra"
                        ),
                    ),
                    side_by_side_diff(
                        HistoryState.compare_rows,
                        "v" + HistoryState.compare_old.to_string(),
                        "v" + HistoryState.compare_new.to_string(),
                        "diff-view",
                        line_actions=line_actions,
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.text(
                    "Pick two versions, or use “Diff with previous” on a version.",
                    size="1",
                    color=rx.color("gray", 11),
                ),
            ),
            spacing="2",
            flex="2",
            min_width="min(100%, 26rem)",
            id="compare-pane",
        ),
    )


def split_actions(label: LabelRow) -> rx.Component:
    """Split a label's traffic over a second version, or end its split (one promote)."""
    return rx.cond(
        label.split,
        rx.button(
            "End split",
            size="1",
            variant="soft",
            color_scheme="orange",
            on_click=PromoteState.open_promote(label.name, label.version),
            aria_label="End the split of " + label.name,
            id="end-split-" + label.name,
        ),
        rx.cond(
            HistoryState.version_rows.length() > 1,
            rx.button(
                rx.icon("split", size=12),
                "Split traffic",
                size="1",
                variant="soft",
                on_click=SplitState.open_split(label.name, label.version),
                aria_label="Split the traffic of " + label.name,
                id="split-" + label.name,
            ),
        ),
    )


def history_tab() -> rx.Component:
    """Two panes: the versions on the left, the comparison of any two on the right; above
    them, where every label points."""
    return rx.vstack(
        messages(),
        environments_bar(),
        proposals_pane(),
        served_pane(),
        rx.flex(
            versions_pane(),
            compare_pane(),
            direction="row",
            wrap="wrap",
            gap="1.25rem",
            width="100%",
            align="start",
        ),
        comments_pane(),
        label_history(),
        spacing="3",
        width="100%",
        id="history-panel",
    )


def view_version_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Version ", HistoryState.view_number.to_string()),
            rx.dialog.description(HistoryState.view_summary, size="2"),
            rx.el.pre(
                HistoryState.view_content,
                white_space="pre-wrap",
                font_family=MONO,
                font_size="0.8rem",
                max_height="60vh",
                overflow_y="auto",
                padding="0.75rem",
                background=rx.color("gray", 2),
                border_radius="6px",
                id="view-version-content",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft")),
                justify="end",
                margin_top="1rem",
            ),
            max_width="900px",
        ),
        open=HistoryState.view_open,
        on_open_change=HistoryState.set_view_open,
    )
