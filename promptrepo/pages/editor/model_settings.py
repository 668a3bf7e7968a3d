"""The Model settings tab: the draft's `config` as a form (the same form as the playground's,
components/model_settings.py), saved with the draft and part of every version."""

from __future__ import annotations

import reflex as rx

from promptrepo.components.model_settings import model_settings_form
from promptrepo.state.editor import DraftState, EditorState, ModelSettingsState


def model_settings_tab() -> rx.Component:
    return rx.vstack(
        rx.text(
            "What a program sends to the model beside the prompt. Saved with the draft and "
            "kept in every version; served by the API as ",
            rx.code("config"),
            ".",
            size="1",
            color=rx.color("gray", 11),
        ),
        model_settings_form(
            DraftState.config_form,
            ModelSettingsState.set_config_field,
            error_field=DraftState.config_error_field,
            read_only=~EditorState.can_write,
            id_prefix="ms",
        ),
        rx.cond(
            DraftState.config_error,
            rx.callout(
                DraftState.config_error,
                icon="circle-alert",
                color_scheme="red",
                role="alert",
                id="ms-error",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
        align="stretch",
        id="model-settings",
    )
