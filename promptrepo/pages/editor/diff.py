"""A unified diff as the editor shows it (history and conflicts)."""

from __future__ import annotations

import reflex as rx

from promptrepo.pages.editor.common import MONO
from promptrepo.state.editor import DiffRow


def diff_line(row: DiffRow) -> rx.Component:
    return rx.cond(
        row.kind == "hunk",
        rx.el.div(row.text, color=rx.color("blue", 11), padding_y="2px", class_name="diff-hunk"),
        rx.el.div(
            rx.el.span(
                row.old,
                width="2.5rem",
                display="inline-block",
                color=rx.color("gray", 10),
                text_align="right",
                padding_right="0.5rem",
            ),
            rx.el.span(
                row.new,
                width="2.5rem",
                display="inline-block",
                color=rx.color("gray", 10),
                text_align="right",
                padding_right="0.5rem",
            ),
            rx.el.span(rx.match(row.kind, ("add", "+ "), ("remove", "− "), "  ")),
            rx.el.span(row.text),
            background=rx.match(
                row.kind,
                ("add", rx.color("green", 3)),
                ("remove", rx.color("red", 3)),
                "transparent",
            ),
            color=rx.match(
                row.kind, ("add", rx.color("green", 12)), ("remove", rx.color("red", 12)), "inherit"
            ),
            white_space="pre-wrap",
            class_name=rx.match(
                row.kind, ("add", "diff-add"), ("remove", "diff-remove"), "diff-context"
            ),
        ),
    )


def diff_view(title: rx.Var, extra: rx.Var, rows: rx.Var, id: str) -> rx.Component:
    """A titled diff (nothing while `title` is empty), with notes such as changed variables."""
    return rx.cond(
        title,
        rx.vstack(
            rx.text(title, weight="medium", size="2", id=f"{id}-title"),
            rx.foreach(extra, lambda t: rx.text(t, size="1", color=rx.color("gray", 11))),
            rx.box(
                rx.foreach(rows, diff_line),
                font_family=MONO,
                font_size="0.78rem",
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="6px",
                padding="0.5rem",
                max_height="45vh",
                overflow="auto",
                width="100%",
            ),
            id=id,
            width="100%",
            spacing="1",
        ),
    )
