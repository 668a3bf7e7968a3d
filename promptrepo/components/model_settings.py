"""The model settings form (`config`: model, temperature, …, response format with its JSON
Schema, tools, extra keys), shared by the editor's "Model settings" tab and the playground.

Every field is text (numbers and JSON are parsed by `services/model_config.config_from_form`
when saved), so whatever the user typed stays in the form while it is invalid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

MONO = {"font_family": "var(--code-font-family, monospace)", "font_size": "13px"}
RESPONSE_FORMATS = ["text", "json_object", "json_schema"]


def field_label(text: Any, html_for: Any) -> rx.Component:
    return rx.el.label(text, html_for=html_for, font_weight="500", font_size="13px")


def native_select(
    options: list[str] | rx.Var, *, value, on_change, id: Any, label: str, **props
) -> rx.Component:
    """A plain <select> (keyboard- and Playwright-friendly) with an accessible name."""
    items = (
        rx.foreach(options, lambda o: rx.el.option(o, value=o))
        if isinstance(options, rx.Var)
        else [rx.el.option(o, value=o) for o in options]
    )
    return rx.el.select(
        items,
        value=value,
        on_change=on_change,
        id=id,
        aria_label=label,
        style={"padding": "4px 8px", "border_radius": "6px", "border": "1px solid var(--gray-7)"},
        **props,
    )


def model_settings_form(
    form: rx.Var,
    set_field: Callable[[str, Any], Any],
    *,
    error_field: rx.Var | str = "",
    read_only: rx.Var | bool = False,
    id_prefix: str = "cfg",
) -> rx.Component:
    """The form over `form` (a dict of text fields, `model_config.FORM_FIELDS`); each change
    calls `set_field(field, value)`. `error_field` names the field the last error is about
    (marked aria-invalid)."""

    def field_id(name: str) -> str:
        return f"{id_prefix}-{name}"

    def invalid(name: str) -> Any:
        return rx.cond(error_field == name, "true", "false")

    def text_input(name: str, label: str, **props) -> rx.Component:
        return rx.box(
            field_label(label, field_id(name)),
            rx.input(
                value=form.get(name, ""),
                on_change=lambda v: set_field(name, v),
                id=field_id(name),
                read_only=read_only,
                aria_invalid=invalid(name),
                size="1",
                width="100%",
                **props,
            ),
            flex="1",
            min_width="7rem",
        )

    def json_input(name: str, label: str, placeholder: str) -> rx.Component:
        return rx.box(
            field_label(label, field_id(name)),
            rx.text_area(
                value=form.get(name, ""),
                on_change=lambda v: set_field(name, v),
                id=field_id(name),
                placeholder=placeholder,
                read_only=read_only,
                aria_invalid=invalid(name),
                spell_check=False,
                rows="4",
                width="100%",
                style=MONO,
            ),
            width="100%",
        )

    return rx.vstack(
        rx.flex(
            text_input("model", "Model", placeholder="gpt-4o-mini"),
            text_input("temperature", "Temperature", placeholder="0–2", input_mode="decimal"),
            text_input("top_p", "Top p", placeholder="0–1", input_mode="decimal"),
            text_input("max_tokens", "Max tokens", input_mode="numeric"),
            text_input("seed", "Seed", input_mode="numeric"),
            text_input("stop", "Stop (comma-separated)"),
            wrap="wrap",
            spacing="2",
        ),
        rx.hstack(
            field_label("Response format", field_id("format")),
            native_select(
                RESPONSE_FORMATS,
                value=form.get("format", "text"),
                on_change=lambda v: set_field("format", v),
                id=field_id("format"),
                label="Response format",
                disabled=read_only,
            ),
            align="center",
        ),
        rx.cond(
            form.get("format", "text") == "json_schema",
            rx.vstack(
                text_input("schema_name", "Schema name", placeholder="response"),
                json_input("schema", "JSON Schema", '{"type": "object", "properties": {...}}'),
                width="100%",
            ),
        ),
        json_input(
            "tools",
            "Tools (JSON Schema function definitions)",
            '[{"type": "function", "function": {...}}]',
        ),
        json_input("extra", "Extra settings (JSON object)", '{"reasoning_effort": "low"}'),
        spacing="2",
        width="100%",
        align="stretch",
    )
