"""The template column: the code editor, its syntax error and the validator badges (live:
components/live_preview.py)."""

from __future__ import annotations

import reflex as rx

from promptrepo.components.code_editor import code_editor
from promptrepo.components.live_preview import live_badges
from promptrepo.pages.editor.common import MONO
from promptrepo.state.editor import DraftState, DraftSyncState, EditorState


def editor_column() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            "Template",
            rx.text(
                " — Jinja2: {{ variable }}, {% if … %}…{% endif %}, {% for … %}; "
                "Ctrl+Space completes variables and filters",
                as_="span",
                color=rx.color("gray", 11),
                weight="regular",
            ),
            id="template-label",
            font_weight="500",
            font_size="0.9rem",
        ),
        rx.box(
            code_editor(
                value=DraftState.content_initial,
                key=DraftState.editor_key.to_string(),
                on_change=DraftSyncState.edit_content,
                editor_key=DraftState.editor_key.to_string(),
                revision=DraftState.content_revision,
                hydrated=rx.State.is_hydrated,
                live_seq=DraftState.live_seq,
                live_context=DraftState.live_context,
                pending=DraftState.preview_pending,
                variables=DraftState.variable_names,
                error_line=DraftState.syntax_line,
                error_message=DraftState.syntax_error,
                read_only=~EditorState.can_write,
                content_id="prompt-content",
                labelled_by="template-label",
                described_by="syntax-error",
                placeholder="Write your prompt. Use {{ name }} for variables.",
            ),
            id="template-editor",
            width="100%",
            min_height="60vh",
            border=f"1px solid {rx.color('gray', 6)}",
            border_radius="6px",
            overflow="hidden",
            custom_attrs={"data-readonly": rx.cond(EditorState.can_write, "false", "true")},
        ),
        rx.cond(
            DraftState.syntax_error,
            rx.callout(
                rx.vstack(
                    rx.text(
                        "Line ",
                        DraftState.syntax_line.to_string(),
                        ": ",
                        DraftState.syntax_error,
                        weight="medium",
                    ),
                    rx.code(DraftState.syntax_line_text, font_family=MONO, white_space="pre-wrap"),
                    spacing="1",
                ),
                icon="triangle-alert",
                color_scheme="red",
                id="syntax-error",
                role="alert",
                width="100%",
            ),
        ),
        rx.hstack(
            rx.text("Validators:", size="1", color=rx.color("gray", 11)),
            live_badges(
                editor_key=DraftState.editor_key.to_string(),
                live_seq=DraftState.live_seq,
                pending=DraftState.preview_pending,
                rows=DraftState.validator_rows,
            ),
            wrap="wrap",
            spacing="2",
            align="center",
            id="validator-badges",
        ),
        spacing="2",
        width="100%",
        flex="3",
        # History takes the whole width: its two panes need it.
        display=rx.cond(EditorState.active_tab == "history", "none", "flex"),
        min_width="min(100%, 28rem)",
    )
