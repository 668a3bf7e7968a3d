"""A side-by-side diff: the old text on the left, the new on the right, line by line, with
the words that changed highlighted (used by History's compare and the Promote dialog)."""

from __future__ import annotations

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


def _cell(row: SideBySideLine, side: str) -> rx.Component:
    number, text, words = (
        (row.old_number, row.old, row.old_words)
        if side == "old"
        else (row.new_number, row.new, row.new_words)
    )
    only = "removed" if side == "old" else "added"
    color = "red" if side == "old" else "green"
    return rx.el.td(
        rx.el.span(
            number,
            color=rx.color("gray", 10),
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


def side_by_side_line(row: SideBySideLine) -> rx.Component:
    return rx.el.tr(_cell(row, "old"), _cell(row, "new"), custom_attrs={"data-kind": row.kind})


def side_by_side_diff(rows: rx.Var, old_title, new_title, id: str) -> rx.Component:
    return rx.box(
        rx.el.table(
            rx.el.thead(
                rx.el.tr(
                    rx.el.th(old_title, text_align="left"),
                    rx.el.th(new_title, text_align="left"),
                )
            ),
            rx.el.tbody(rx.foreach(rows, side_by_side_line)),
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
