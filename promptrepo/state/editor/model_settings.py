"""ModelSettingsState: the "Model settings" tab — the draft's `config` as a form (model,
temperature, top_p, max_tokens, stop, seed, response format with a JSON Schema, tools, extra
keys). The form and the last valid config belong to the draft, which loads them and saves
the config with the text (autosave, Save, versions); this substate only edits them.

Each change is validated at once by `services/model_config.config_from_form`: a valid form
becomes the draft's config and is autosaved; an invalid one keeps every character typed,
names the field, and leaves the last valid config as what is saved.
"""

from __future__ import annotations

import reflex as rx

from promptrepo.services import model_config
from promptrepo.services.errors import ValidationFailed
from promptrepo.state.editor.draft import DraftState


def error_field(exc: ValidationFailed) -> str:
    """The form field an error is about (`loc` = ["config", field, ...]), or ""."""
    for error in exc.errors or []:
        loc = error.get("loc") or []
        if len(loc) > 1 and loc[0] == "config":
            field = str(loc[1])
            # the stored key's errors point at the form field that holds it
            return {"response_format": "schema"}.get(field, field)
    return ""


class ModelSettingsState(DraftState):
    @rx.event
    def set_config_field(self, field: str, value: str):
        if not self.can_write or field not in model_config.FORM_FIELDS:
            return None
        if self._config is None:  # this tab's state predates the settings: never save {} over them
            self.config_error = "Reload the page to edit the model settings."
            return None
        self.config_form = {**self.config_form, field: value}
        try:
            config = model_config.config_from_form(self.config_form)
        except ValidationFailed as exc:
            self.config_error = (
                f"{exc.message} Not saved yet: the last valid settings are kept until this "
                "is fixed."
            )
            self.config_error_field = error_field(exc)
            return None
        self.config_error = ""
        self.config_error_field = ""
        if config == self._config:
            return None
        self._config = config
        return self._note_edit()
