"""The prompt editor: /projects/[project_id]/prompts/[prompt_id].

One module per part of the page: header (status, name, Use in code, versions, conflicts), promote (the dialog every
label move goes through),
code (the template column), and the side panel's tabs: preview, variables, validators,
model settings, history. The browser-side guards (Ctrl/Cmd+S, leave warning, local backup) are
assets/editor.js.
"""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.template import template
from promptrepo.pages.editor.code import editor_column
from promptrepo.pages.editor.comments import delete_comment_dialog, line_comment_dialog
from promptrepo.pages.editor.header import conflict_dialog, header
from promptrepo.pages.editor.history import history_tab, view_version_dialog
from promptrepo.pages.editor.model_settings import model_settings_tab
from promptrepo.pages.editor.preview import preview_tab
from promptrepo.pages.editor.promote import promote_dialog
from promptrepo.pages.editor.review import review_dialog
from promptrepo.pages.editor.split import split_dialog
from promptrepo.pages.editor.validators import validators_tab
from promptrepo.pages.editor.variables import variables_tab
from promptrepo.state.base import AppState
from promptrepo.state.editor import AUTOSAVE_DELAY_SECONDS, DraftState, EditorState


def side_panel() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger("Preview", value="preview", id="tab-preview"),
            rx.tabs.trigger(
                "Variables ",
                rx.badge(DraftState.variable_rows.length().to_string(), variant="soft", size="1"),
                value="variables",
                id="tab-variables",
            ),
            rx.tabs.trigger(
                "Validators ",
                rx.cond(
                    DraftState.failing_count > 0,
                    rx.badge(
                        DraftState.failing_count.to_string(),
                        " failing",
                        color_scheme="red",
                        size="1",
                    ),
                ),
                value="validators",
                id="tab-validators",
            ),
            rx.tabs.trigger(
                "Model settings ",
                rx.cond(
                    DraftState.config_error,
                    rx.badge("invalid", color_scheme="red", size="1"),
                ),
                value="model",
                id="tab-model",
            ),
            rx.tabs.trigger("History", value="history", id="tab-history"),
            # One row: tighter tabs (4 px + 4 px each side, not 8 + 8) fit the five in the
            # panel at 1280 (433 of 456 px; they wrapped, History alone on a second row); on a
            # phone, or with a badge more, the row scrolls sideways, with a thin scrollbar.
            style={
                "--tab-padding-x": "var(--space-1)",
                "--tab-inner-padding-x": "var(--space-1)",
                "scrollbarWidth": "thin",
            },
        ),
        rx.tabs.content(preview_tab(), value="preview", padding_top="0.75rem"),
        rx.tabs.content(variables_tab(), value="variables", padding_top="0.75rem"),
        rx.tabs.content(validators_tab(), value="validators", padding_top="0.75rem"),
        rx.tabs.content(model_settings_tab(), value="model", padding_top="0.75rem"),
        rx.tabs.content(history_tab(), value="history", padding_top="0.75rem"),
        value=EditorState.active_tab,
        on_change=EditorState.set_active_tab,
        flex="2",
        min_width="min(100%, 22rem)",
        width="100%",
    )


def editor_body() -> rx.Component:
    return rx.vstack(
        header(),
        rx.flex(
            editor_column(),
            side_panel(),
            direction="row",
            wrap="wrap",
            gap="1.25rem",
            width="100%",
            align="start",
        ),
        view_version_dialog(),
        line_comment_dialog(),
        delete_comment_dialog(),
        promote_dialog(),
        split_dialog(),
        review_dialog(),
        conflict_dialog(),
        rx.script(src="/editor.js"),
        spacing="3",
        width="100%",
        id="prompt-editor",
        custom_attrs={"data-autosave-ms": str(int(AUTOSAVE_DELAY_SECONDS * 1000))},
    )


@template(
    route=routes.PROMPT_EDITOR,
    title="Prompt editor · PromptRepo",
    description="Edit a prompt: typed variables, live preview, validators, versions and labels.",
    on_load=[AppState.check_login, DraftState.load_editor],
)
def prompt_editor() -> rx.Component:
    return rx.cond(
        EditorState.load_error,
        rx.center(
            rx.vstack(
                rx.heading("Prompt not found", size="6", as_="h1"),
                rx.text(EditorState.load_error, color=rx.color("gray", 11)),
                rx.link(rx.button("Back to dashboard"), href=routes.DASHBOARD),
                align="center",
                spacing="3",
                id="editor-not-found",
            ),
            min_height="40vh",
        ),
        rx.cond(
            EditorState.loaded,
            editor_body(),
            rx.center(rx.spinner(size="3"), min_height="40vh", id="editor-loading"),
        ),
    )
