"""The Preview tab: example values, the rendered text and its stats (live:
components/live_preview.py)."""

from __future__ import annotations

import reflex as rx

from promptrepo.components.live_preview import live_preview
from promptrepo.pages.editor.variables import typed_value
from promptrepo.state.editor import DraftState, VariableRow


def example_input(row: VariableRow) -> rx.Component:
    """A used variable's example, with the control its type calls for (as in the Variables
    tab: a select for an enum, a switch for a boolean, a number field, a JSON editor)."""
    return rx.cond(
        row.used,
        rx.hstack(
            rx.el.label(
                rx.code(row.name),
                html_for=f"example-{row.name}",
                min_width="7rem",
            ),
            rx.box(
                typed_value(
                    row,
                    "example",
                    row.example,
                    id_prefix="",
                    placeholder=rx.cond(row.default, "default: " + row.default, "example value"),
                ),
                flex="1",
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
        live_preview(
            editor_key=DraftState.editor_key.to_string(),
            live_seq=DraftState.live_seq,
            pending=DraftState.preview_pending,
            text=DraftState.preview_text,
            error=DraftState.preview_error,
            note=DraftState.preview_note,
            chars=DraftState.chars,
            words=DraftState.words,
            lines=DraftState.lines,
            tokens=DraftState.tokens,
        ),
        spacing="2",
        width="100%",
    )
