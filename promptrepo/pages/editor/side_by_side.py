"""A side-by-side diff: the old text on the left, the new on the right, line by line, with
the words that changed highlighted (used by History's compare and the Promote dialog). A
chat prompt's diff is message by message: each message's heading, then its lines."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from promptrepo.pages.editor.common import MONO
from promptrepo.state.editor.rows import SideBySideLine, WordPart


def _words(parts: rx.Var, side: str) -> rx.Component:
    color = "red" if side == "old" else "green"

    def part(word: WordPart) -> rx.Component:
        return rx.el.span(
            word.text,
            background=rx.cond(word.changed, rx.color(color, 6), "transparent"),
            border_radius="2px",
            class_name=rx.cond(word.changed, f"word-{side}-changed", ""),
        )

    return rx.foreach(parts, part)


LineActions = Callable[[SideBySideLine, str], rx.Component] | None


def _cell(row: SideBySideLine, side: str, actions: LineActions = None) -> rx.Component:
    number, text, words = (
        (row.old_number, row.old, row.old_words)
        if side == "old"
        else (row.new_number, row.new, row.new_words)
    )
    only = "removed" if side == "old" else "added"
    color = "red" if side == "old" else "green"
    return rx.el.td(
        actions(row, side) if actions is not None else rx.fragment(),
        rx.el.span(
            number,
            color=rx.color("gray", 11),  # readable on the red and green rows too
            display="inline-block",
            width="2.2rem",
            text_align="right",
            padding_right="0.5rem",
            user_select="none",
        ),
        rx.cond(row.kind == "changed", _words(words, side), rx.el.span(text)),
        white_space="pre-wrap",
        word_break="break-word",
        vertical_align="top",
        width="50%",
        background=rx.cond(
            (row.kind == "changed") | (row.kind == only), rx.color(color, 3), "transparent"
        ),
        class_name=f"side-{side}",
    )


def _message_heading(row: SideBySideLine) -> rx.Component:
    """A chat message's heading across both columns: where it was, where it is, and what
    happened to it (added, removed, role changed, text changed…)."""
    return rx.el.tr(
        rx.el.td(
            rx.hstack(
                rx.el.span(row.old, class_name="message-old"),
                rx.cond((row.old != "") & (row.new != "") & (row.old != row.new), "→", ""),
                rx.cond(row.old != row.new, rx.el.span(row.new, class_name="message-new"), ""),
                rx.badge(
                    row.change,
                    color_scheme=rx.match(
                        row.change,
                        ("unchanged", "gray"),
                        ("added", "green"),
                        ("removed", "red"),
                        "amber",
                    ),
                    size="1",
                    class_name="message-change",
                ),
                spacing="2",
                align="center",
            ),
            col_span=2,
            font_weight="600",
            padding_top="0.5rem",
            border_top=f"1px solid {rx.color('gray', 5)}",
        ),
        class_name="diff-message",
        custom_attrs={"data-kind": "message", "data-change": row.change},
    )


def side_by_side_line(row: SideBySideLine, actions: LineActions = None) -> rx.Component:
    return rx.cond(
        row.kind == "message",
        _message_heading(row),
        rx.el.tr(
            _cell(row, "old", actions),
            _cell(row, "new", actions),
            custom_attrs={"data-kind": row.kind},
            # a line's own buttons (History's "comment on this line") show on hover
            style={"&:hover .line-comment-add": {"opacity": "1"}},
        ),
    )


def side_by_side_diff(
    rows: rx.Var, old_title, new_title, id: str, line_actions: LineActions = None
) -> rx.Component:
    """The diff table; `line_actions(row, side)` adds controls before each line's number."""
    return rx.box(
        rx.el.table(
            rx.el.thead(
                rx.el.tr(
                    rx.el.th(old_title, text_align="left"),
                    rx.el.th(new_title, text_align="left"),
                )
            ),
            rx.el.tbody(rx.foreach(rows, lambda row: side_by_side_line(row, line_actions))),
            width="100%",
            style={"borderCollapse": "collapse", "tableLayout": "fixed"},
        ),
        font_family=MONO,
        font_size="0.75rem",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="6px",
        padding="0.5rem",
        max_height="55vh",
        overflow="auto",
        width="100%",
        id=id,
    )
