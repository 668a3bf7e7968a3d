"""Comments in the History tab: the chosen version's threads with a form, the line-comment
dialog of the diff, the per-line marker and button of the diff, and the delete confirmation.
Bodies are plain text (React escapes them); mentions are highlighted."""

from __future__ import annotations

import reflex as rx

from promptrepo.state.editor import CommentsState, HistoryState
from promptrepo.state.editor.comments import CommentPartRow, ReplyRow, ThreadRow
from promptrepo.state.editor.rows import SideBySideLine


# --------------------------------------------------------------------------- the diff's lines
def line_actions(row: SideBySideLine, side: str) -> rx.Component:
    """Before a diff line's number: its open threads (a click shows them) and a button to
    comment on the line, shown on hover and on keyboard focus. Not for chat prompts, whose
    diff numbers lines per message (a line number alone would not say which message)."""
    number = row.old_number if side == "old" else row.new_number
    count = row.old_comments if side == "old" else row.new_comments
    still_open = row.old_open if side == "old" else row.new_open
    return rx.cond(
        (number != "") & ~HistoryState.compare_is_chat,
        rx.el.span(
            rx.cond(
                count > 0,
                rx.el.button(
                    rx.icon("message-square", size=11, aria_hidden="true"),
                    count.to_string(),
                    on_click=CommentsState.show_line_threads(side, number),
                    aria_label="Show the comments on line " + number + f" ({side})",
                    title="Show the comments on this line",
                    class_name=rx.cond(
                        still_open, "line-comment-marker open", "line-comment-marker"
                    ),
                    style={
                        "display": "inline-flex",
                        "alignItems": "center",
                        "gap": "2px",
                        "fontSize": "0.7rem",
                        "padding": "0 3px",
                        "borderRadius": "4px",
                        "border": "none",
                        "cursor": "pointer",
                        "background": rx.cond(
                            still_open, rx.color("amber", 5), rx.color("gray", 4)
                        ),
                        "color": rx.cond(still_open, rx.color("amber", 12), rx.color("gray", 11)),
                    },
                ),
            ),
            rx.el.button(
                "+",
                on_click=CommentsState.open_line_comment(side, number),
                aria_label="Comment on line " + number + f" ({side})",
                title="Comment on this line",
                class_name="line-comment-add",
                style={
                    "opacity": "0",
                    "width": "1.1rem",
                    "border": "none",
                    "borderRadius": "4px",
                    "cursor": "pointer",
                    "background": rx.color("accent", 4),
                    "color": rx.color("accent", 11),
                    "&:focus-visible": {"opacity": "1"},
                    "&:focus": {"opacity": "1"},
                },
            ),
            display="inline-flex",
            gap="2px",
            align_items="center",
            margin_right="2px",
            user_select="none",
        ),
    )


# --------------------------------------------------------------------------- form pieces
def _text_box(value: rx.Var, on_change: rx.EventHandler, id: str, **props) -> rx.Component:
    """A comment's text area (the line dialog's, a new comment's, a reply's, an edit's)."""
    return rx.text_area(value=value, on_change=on_change, id=id, width="100%", **props)


def _error_line(error: rx.Var, id: str) -> rx.Component:
    """Why the comment was refused, under its box (the text stays there)."""
    return rx.cond(
        error,
        rx.text(error, color=rx.color("red", 11), size="1", role="alert", id=id),
    )


def _box_with_buttons(
    box: rx.Component, action: str, on_action: rx.EventHandler, action_id: str, on_cancel
) -> rx.Component:
    """An inline form of a thread (a reply, an edit): the box, then its button and Cancel."""
    return rx.vstack(
        box,
        rx.hstack(
            rx.button(action, size="1", on_click=on_action, id=action_id),
            rx.button("Cancel", size="1", variant="soft", color_scheme="gray", on_click=on_cancel),
        ),
        width="100%",
        spacing="1",
    )


def line_comment_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(CommentsState.line_dialog_title),
            rx.dialog.description(
                rx.el.code(CommentsState.line_text, white_space="pre-wrap"),
                size="1",
            ),
            rx.form(
                rx.vstack(
                    _text_box(
                        CommentsState.line_body,
                        CommentsState.set_line_body,
                        "line-comment-body",
                        placeholder="Your comment (plain text; @name mentions a member)",
                        aria_label="Comment on this line",
                        rows="4",
                        auto_focus=True,
                    ),
                    rx.cond(
                        CommentsState.mention_hint,
                        rx.text(CommentsState.mention_hint, size="1", color=rx.color("gray", 11)),
                    ),
                    _error_line(CommentsState.line_error, "line-comment-error"),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", type="button", variant="soft", color_scheme="gray")
                        ),
                        rx.button("Comment", type="submit", id="post-line-comment"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=lambda _: CommentsState.post_line_comment(),
                reset_on_submit=False,
            ),
            max_width="560px",
        ),
        open=CommentsState.line_dialog_open,
        on_open_change=CommentsState.set_line_dialog_open,
    )


# --------------------------------------------------------------------------- threads
def _body(parts: rx.Var) -> rx.Component:
    def part(p: CommentPartRow) -> rx.Component:
        return rx.cond(
            p.mention,
            rx.el.mark(
                p.text,
                class_name="mention",
                background=rx.color("blue", 4),
                color=rx.color("blue", 12),
                border_radius="3px",
                padding="0 2px",
            ),
            rx.el.span(p.text),
        )

    return rx.text(
        rx.foreach(parts, part), size="2", white_space="pre-wrap", class_name="comment-body"
    )


def _edit_box(row: ReplyRow) -> rx.Component:
    return _box_with_buttons(
        _text_box(
            CommentsState.edit_body,
            CommentsState.set_edit_body,
            "edit-comment-body",
            aria_label="Edit your comment",
            rows="3",
        ),
        "Save",
        CommentsState.save_edit,
        "save-comment-edit",
        CommentsState.cancel_edit,
    )


def _meta(row: ReplyRow) -> rx.Component:
    return rx.hstack(
        rx.text(row.author, weight="medium", size="1", class_name="comment-author"),
        rx.text(row.when, size="1", color=rx.color("gray", 11)),
        rx.cond(row.edited, rx.text("(edited)", size="1", color=rx.color("gray", 11))),
        rx.spacer(),
        rx.cond(
            row.can_edit,
            rx.hstack(
                rx.button(
                    "Edit",
                    size="1",
                    variant="ghost",
                    on_click=CommentsState.start_edit(row.id),
                    aria_label="Edit comment",
                ),
                rx.button(
                    "Delete",
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    on_click=CommentsState.ask_delete_comment(row.id),
                    aria_label="Delete comment",
                    class_name="delete-comment",
                ),
                spacing="1",
            ),
        ),
        width="100%",
        align="center",
        wrap="wrap",
    )


def _reply(row: ReplyRow) -> rx.Component:
    return rx.box(
        _meta(row),
        rx.cond(CommentsState.editing_id == row.id, _edit_box(row), _body(row.parts)),
        padding_left="0.75rem",
        border_left=f"2px solid {rx.color('gray', 5)}",
        width="100%",
        class_name="comment-reply",
    )


def _thread(row: ThreadRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(
                row.anchor,
                rx.badge(row.anchor, variant="soft", color_scheme="amber", size="1"),
            ),
            _meta(row),
            rx.cond(CommentsState.editing_id == row.id, _edit_box(row), _body(row.parts)),
            rx.foreach(row.replies, _reply),
            rx.cond(
                row.resolved,
                rx.text(row.resolved_note, size="1", color=rx.color("green", 11)),
            ),
            rx.cond(
                CommentsState.reply_to == row.id,
                _box_with_buttons(
                    _text_box(
                        CommentsState.reply_body,
                        CommentsState.set_reply_body,
                        "reply-body",
                        aria_label="Your reply",
                        rows="2",
                    ),
                    "Reply",
                    CommentsState.post_reply,
                    "post-reply",
                    CommentsState.cancel_reply,
                ),
                rx.hstack(
                    rx.button(
                        "Reply",
                        size="1",
                        variant="soft",
                        on_click=CommentsState.start_reply(row.id),
                        aria_label="Reply to this thread",
                    ),
                    rx.cond(
                        row.can_resolve,
                        rx.button(
                            rx.cond(row.resolved, "Reopen", "Resolve"),
                            size="1",
                            variant="soft",
                            color_scheme=rx.cond(row.resolved, "gray", "green"),
                            on_click=CommentsState.toggle_resolved(row.id, ~row.resolved),
                            class_name="resolve-thread",
                        ),
                    ),
                    spacing="2",
                ),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        size="1",
        class_name=rx.cond(row.resolved, "comment-thread resolved", "comment-thread"),
        opacity=rx.cond(row.resolved, "0.75", "1"),
    )


def _filter() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Show comments", id="comment-filter"),
        rx.select.content(
            rx.select.item("All threads", value="all"),
            rx.select.item("Open", value="open"),
            rx.select.item("Resolved", value="resolved"),
        ),
        value=CommentsState.comment_filter,
        on_change=CommentsState.set_comment_filter,
        size="1",
    )


def comments_pane() -> rx.Component:
    """The chosen version's threads, a filter with counts, and a form for a new comment."""
    return rx.cond(
        HistoryState.version_rows.length() > 0,
        rx.vstack(
            rx.hstack(
                rx.heading(
                    "Comments on v", CommentsState.comment_version.to_string(), size="3", as_="h3"
                ),
                rx.select(
                    HistoryState.version_numbers,
                    value=CommentsState.comment_version.to_string(),
                    on_change=lambda v: CommentsState.select_comment_version(v.to(int)),
                    size="1",
                    id="comment-version",
                    aria_label="Comments on version",
                ),
                _filter(),
                rx.text(CommentsState.comment_counts, size="1", id="comment-counts"),
                rx.cond(CommentsState.comments_loading, rx.spinner(size="1")),
                align="center",
                wrap="wrap",
                spacing="2",
            ),
            rx.cond(
                CommentsState.comment_line != "",
                rx.hstack(
                    rx.badge("Only line ", CommentsState.comment_line, color_scheme="amber"),
                    rx.button(
                        "Show all",
                        size="1",
                        variant="ghost",
                        on_click=CommentsState.clear_line_filter,
                        id="show-all-comments",
                    ),
                    align="center",
                ),
            ),
            rx.cond(
                CommentsState.comments_error,
                rx.text(CommentsState.comments_error, size="2", color=rx.color("gray", 11)),
                rx.fragment(
                    rx.cond(
                        CommentsState.comment_threads.length() > 0,
                        rx.vstack(
                            rx.foreach(CommentsState.comment_threads, _thread),
                            spacing="2",
                            width="100%",
                            id="comment-threads",
                        ),
                        rx.text(
                            rx.cond(
                                CommentsState.comments_total > 0,
                                "No threads match this filter.",
                                "No comments on this version yet. Start the conversation below, "
                                "or comment on a line of the diff.",
                            ),
                            size="2",
                            color=rx.color("gray", 11),
                            id="no-comments",
                        ),
                    ),
                    _error_line(CommentsState.comment_error, "comment-error"),
                    rx.form(
                        rx.vstack(
                            _text_box(
                                CommentsState.comment_body,
                                CommentsState.set_comment_body,
                                "new-comment-body",
                                placeholder="Comment on this version (@name mentions a member)",
                                aria_label="New comment",
                                rows="3",
                            ),
                            rx.hstack(
                                rx.text(
                                    CommentsState.mention_hint,
                                    size="1",
                                    color=rx.color("gray", 11),
                                ),
                                rx.spacer(),
                                rx.button("Comment", type="submit", size="1", id="post-comment"),
                                width="100%",
                                align="center",
                            ),
                            width="100%",
                            spacing="1",
                        ),
                        on_submit=lambda _: CommentsState.post_comment(),
                        reset_on_submit=False,
                        width="100%",
                    ),
                ),
            ),
            spacing="2",
            width="100%",
            id="comments-pane",
        ),
    )


def delete_comment_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this comment?"),
            rx.alert_dialog.description(
                "This cannot be undone. Deleting a thread's first comment deletes its replies."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Cancel",
                        variant="soft",
                        color_scheme="gray",
                        on_click=CommentsState.cancel_delete_comment,
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete",
                        color_scheme="red",
                        on_click=CommentsState.confirm_delete_comment,
                        id="confirm-delete-comment",
                    )
                ),
                justify="end",
                margin_top="1rem",
            ),
        ),
        open=CommentsState.delete_pending != "",
        on_open_change=CommentsState.set_delete_open,
    )
