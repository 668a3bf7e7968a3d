"""ValidatorsState: the add/edit validator form and the validators' create, update, delete.
Their results on the preview are computed by the draft on every keystroke."""

from __future__ import annotations

from typing import Any

import reflex as rx

from promptrepo.services import validators
from promptrepo.services.errors import NotAuthenticated, ServiceError, ValidationFailed
from promptrepo.state.editor.base import chain, guarded
from promptrepo.state.editor.draft import DraftState

FORM_FIELDS = (
    "type",
    "pattern",
    "must_match",
    "ignore_case",
    "min",
    "max",
    "unit",
    "text",
    "mode",
    "case_insensitive",
    "must_not_contain",
    "expression",
    "message",
)


def _whole_number(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed(f"The {what} must be a whole number.") from None


class ValidatorsState(DraftState):
    vform_open: bool = False
    vform_id: str = ""
    vform_type: str = "contains"
    vform_pattern: str = ""
    vform_must_match: bool = True
    vform_ignore_case: bool = False
    vform_min: str = ""
    vform_max: str = ""
    vform_unit: str = "chars"
    vform_text: str = ""
    vform_mode: str = "any"
    vform_case_insensitive: bool = False
    vform_must_not_contain: bool = False
    vform_expression: str = ""
    vform_message: str = ""
    vform_error: str = ""

    @rx.event
    def new_validator(self):
        self.vform_id = ""
        self.vform_type = "contains"
        self.vform_pattern = ""
        self.vform_must_match = True
        self.vform_ignore_case = False
        self.vform_min = ""
        self.vform_max = ""
        self.vform_unit = "chars"
        self.vform_text = ""
        self.vform_mode = "any"
        self.vform_case_insensitive = False
        self.vform_must_not_contain = False
        self.vform_expression = ""
        self.vform_message = ""
        self.vform_error = ""
        self.vform_open = True

    @rx.event
    def edit_validator(self, validator_id: str):
        validator = next((v for v in self._validators if v["id"] == validator_id), None)
        if validator is None:
            return None
        self.new_validator()
        cfg = validator["config"]
        self.vform_id = validator_id
        self.vform_type = validator["type"]
        self.vform_pattern = cfg.get("pattern", "")
        self.vform_must_match = cfg.get("must_match", True)
        self.vform_ignore_case = cfg.get("ignore_case", False)
        self.vform_min = "" if cfg.get("min") is None else str(cfg["min"])
        self.vform_max = "" if cfg.get("max") is None else str(cfg["max"])
        self.vform_unit = cfg.get("unit", "chars")
        text = cfg.get("text", "")
        self.vform_text = text if isinstance(text, str) else "\n".join(text)
        self.vform_mode = cfg.get("mode", "any")
        self.vform_case_insensitive = cfg.get("case_insensitive", False)
        self.vform_must_not_contain = cfg.get("must_not_contain", False)
        self.vform_expression = cfg.get("expression", "")
        self.vform_message = cfg.get("message", "")
        return None

    @rx.event
    def set_vform_open(self, value: bool):
        self.vform_open = value

    @rx.event
    def set_vform_field(self, field: str, value: Any):
        if field in FORM_FIELDS:
            setattr(self, f"vform_{field}", value)
            self.vform_error = ""

    def _vform_config(self) -> dict[str, Any]:
        kind = self.vform_type
        if kind == "regex":
            return {
                "pattern": self.vform_pattern,
                "must_match": self.vform_must_match,
                "ignore_case": self.vform_ignore_case,
            }
        if kind == "length":
            return {
                "min": _whole_number(self.vform_min, "minimum"),
                "max": _whole_number(self.vform_max, "maximum"),
                "unit": self.vform_unit,
            }
        if kind == "contains":
            texts = [t for t in self.vform_text.splitlines() if t.strip()]
            return {
                "text": texts[0] if len(texts) == 1 else texts,
                "mode": self.vform_mode,
                "case_insensitive": self.vform_case_insensitive,
                "must_not_contain": self.vform_must_not_contain,
            }
        return {"expression": self.vform_expression.strip(), "message": self.vform_message}

    @rx.event
    def save_validator(self):
        try:
            config = self._vform_config()
            if self.vform_type == "length":
                config = {k: v for k, v in config.items() if v is not None}
            with self.acting() as (session, principal):
                if self.vform_id:
                    validators.update_validator(
                        session, principal, self.vform_id, config=config, type=self.vform_type
                    )
                else:
                    validators.add_validator(
                        session,
                        principal,
                        self.editor_prompt_id,
                        type=self.vform_type,
                        config=config,
                    )
                self._load_validators(session, principal)
        except NotAuthenticated:
            return self.to_login()
        except ServiceError as exc:  # shown in the form, which stays open with the input
            self.vform_error = exc.message
            return None
        self.vform_open = False
        return chain(self._render_preview(), rx.toast.success("Validator saved."))

    @rx.event
    @guarded
    def delete_validator(self, validator_id: str):
        with self.acting() as (session, principal):
            validators.delete_validator(session, principal, validator_id)
            self._load_validators(session, principal)
        return chain(self._render_preview(), rx.toast.success("Validator deleted."))
