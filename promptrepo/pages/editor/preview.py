"""The Preview tab: example values, the rendered text and its stats."""

from __future__ import annotations

import reflex as rx

from promptrepo.pages.editor.common import MONO, counted
from promptrepo.state.editor import DraftState, EditorState, VariableRow, VariablesState


def stats_line() -> rx.Component:
    return rx.hstack(
        rx.text(counted(DraftState.chars, "character", "characters")),
        rx.text("·"),
        rx.text(counted(DraftState.words, "word", "words")),
        rx.text("·"),
        rx.text(counted(DraftState.lines, "line", "lines")),
        rx.text("·"),
        rx.text(
            "≈ ",
            counted(DraftState.tokens, "token", "tokens"),
            " (approximate: characters ÷ 4)",
        ),
        size="1",
        color=rx.color("gray", 11),
        wrap="wrap",
        spacing="2",
        id="preview-stats",
    )


def example_input(row: VariableRow) -> rx.Component:
    return rx.cond(
        row.used,
        rx.hstack(
            rx.el.label(
                rx.code(row.name),
                html_for=f"example-{row.name}",
                min_width="7rem",
            ),
            rx.input(
                value=row.example,
                on_change=lambda v: VariablesState.set_var_field(row.name, "example", v),
                id=f"example-{row.name}",
                placeholder=rx.cond(row.default, "default: " + row.default, "example value"),
                size="1",
                flex="1",
                read_only=~EditorState.can_write,
            ),
            width="100%",
            align="center",
        ),
    )


def preview_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            DraftState.variable_rows.length() > 0,
            rx.vstack(
                rx.text(
                    "Example values (used by the preview and checked when publishing)",
                    size="1",
                    color=rx.color("gray", 11),
                ),
                rx.foreach(DraftState.variable_rows, example_input),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            DraftState.preview_error,
            rx.callout(
                DraftState.preview_error,
                icon="circle-alert",
                color_scheme="red",
                id="preview-error",
                role="alert",
                width="100%",
            ),
        ),
        rx.cond(
            DraftState.preview_note,
            rx.text(
                DraftState.preview_note, size="1", color=rx.color("amber", 11), id="preview-note"
            ),
        ),
        rx.cond(
            DraftState.preview_pending,
            rx.text(
                "Rendering…",
                size="1",
                color=rx.color("gray", 11),
                class_name="appear-late",
                role="status",
            ),
        ),
        rx.el.pre(
            DraftState.preview_text,
            id="preview-text",
            aria_busy=rx.cond(DraftState.preview_pending, "true", "false"),
            white_space="pre-wrap",
            word_break="break-word",
            font_family=MONO,
            font_size="0.8rem",
            padding="0.75rem",
            border_radius="6px",
            background=rx.color("gray", 2),
            border=f"1px solid {rx.color('gray', 5)}",
            max_height="55vh",
            overflow_y="auto",
            width="100%",
            margin="0",
            opacity=rx.cond(DraftState.preview_error, "0.5", "1"),
        ),
        stats_line(),
        spacing="2",
        width="100%",
    )
