"""The Validators tab: results on the preview, and the add/edit form."""

from __future__ import annotations

import reflex as rx

from promptrepo.pages.editor.common import MONO
from promptrepo.state.editor import DraftState, EditorState, ValidatorRow, ValidatorsState


def vfield(label: str, control: rx.Component, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", weight="medium"),
        control,
        rx.text(hint, size="1", color=rx.color("gray", 11)) if hint else rx.fragment(),
        spacing="1",
        width="100%",
    )


def vcheck(label: str, checked, field: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=checked,
                on_change=lambda c: ValidatorsState.set_vform_field(field, c),
                id=f"vform-{field}",
            ),
            rx.text(label, size="2"),
            align="center",
            spacing="2",
        )
    )


def validator_form() -> rx.Component:
    text_input = lambda field, value, **kw: rx.input(  # noqa: E731
        value=value,
        on_change=lambda v: ValidatorsState.set_vform_field(field, v),
        id=f"vform-{field}",
        width="100%",
        **kw,
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(ValidatorsState.vform_id, "Edit validator", "Add a validator")),
            rx.dialog.description(
                "Validators run on the rendered text. A failing one blocks publishing.", size="2"
            ),
            rx.vstack(
                vfield(
                    "Type",
                    rx.select(
                        ["contains", "regex", "length", "custom"],
                        value=ValidatorsState.vform_type,
                        on_change=lambda v: ValidatorsState.set_vform_field("type", v),
                        id="vform-type",
                    ),
                ),
                rx.match(
                    ValidatorsState.vform_type,
                    (
                        "regex",
                        rx.vstack(
                            vfield(
                                "Pattern",
                                text_input(
                                    "pattern", ValidatorsState.vform_pattern, font_family=MONO
                                ),
                            ),
                            vcheck(
                                "The text must match (untick: must not match)",
                                ValidatorsState.vform_must_match,
                                "must_match",
                            ),
                            vcheck("Ignore case", ValidatorsState.vform_ignore_case, "ignore_case"),
                            width="100%",
                        ),
                    ),
                    (
                        "length",
                        rx.vstack(
                            rx.hstack(
                                vfield(
                                    "Minimum",
                                    text_input(
                                        "min", ValidatorsState.vform_min, type="number", min=0
                                    ),
                                ),
                                vfield(
                                    "Maximum",
                                    text_input(
                                        "max", ValidatorsState.vform_max, type="number", min=0
                                    ),
                                ),
                                width="100%",
                            ),
                            vfield(
                                "Unit",
                                rx.select(
                                    ["chars", "words"],
                                    value=ValidatorsState.vform_unit,
                                    on_change=lambda v: ValidatorsState.set_vform_field("unit", v),
                                    id="vform-unit",
                                ),
                            ),
                            width="100%",
                        ),
                    ),
                    (
                        "contains",
                        rx.vstack(
                            vfield(
                                "Text (one per line)",
                                rx.text_area(
                                    value=ValidatorsState.vform_text,
                                    on_change=lambda v: ValidatorsState.set_vform_field("text", v),
                                    id="vform-text",
                                    rows="3",
                                    width="100%",
                                ),
                            ),
                            vfield(
                                "Mode",
                                rx.select(
                                    ["any", "all"],
                                    value=ValidatorsState.vform_mode,
                                    on_change=lambda v: ValidatorsState.set_vform_field("mode", v),
                                    id="vform-mode",
                                ),
                            ),
                            vcheck(
                                "Case-insensitive",
                                ValidatorsState.vform_case_insensitive,
                                "case_insensitive",
                            ),
                            vcheck(
                                "Must NOT contain these",
                                ValidatorsState.vform_must_not_contain,
                                "must_not_contain",
                            ),
                            width="100%",
                        ),
                    ),
                    rx.vstack(
                        vfield(
                            "Expression (must be true)",
                            text_input(
                                "expression", ValidatorsState.vform_expression, font_family=MONO
                            ),
                            "Jinja2 over text and the variables, e.g. text | length < 4000 and 'JSON' in text",
                        ),
                        vfield(
                            "Message when false",
                            text_input("message", ValidatorsState.vform_message),
                        ),
                        width="100%",
                    ),
                ),
                rx.cond(
                    ValidatorsState.vform_error,
                    rx.callout(
                        ValidatorsState.vform_error,
                        icon="circle-alert",
                        color_scheme="red",
                        id="vform-error",
                        role="alert",
                        width="100%",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Save validator", on_click=ValidatorsState.save_validator, id="vform-save"
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="1rem",
            ),
        ),
        open=ValidatorsState.vform_open,
        on_open_change=ValidatorsState.set_vform_open,
    )


def validator_card(row: ValidatorRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.badge(
                rx.cond(row.passed, rx.icon("check", size=12), rx.icon("x", size=12)),
                rx.cond(row.skipped, "not run", rx.cond(row.passed, "pass", "fail")),
                color_scheme=rx.cond(row.skipped, "gray", rx.cond(row.passed, "green", "red")),
            ),
            rx.vstack(
                rx.text(rx.text(row.type, weight="bold", as_="span"), " ", row.summary, size="2"),
                rx.text(row.message, size="1", color=rx.color("gray", 11)),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                EditorState.can_write,
                rx.hstack(
                    rx.icon_button(
                        rx.icon("pencil", size=14),
                        variant="ghost",
                        size="1",
                        on_click=ValidatorsState.edit_validator(row.id),
                        aria_label="Edit validator",
                    ),
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.icon_button(
                                rx.icon("trash-2", size=14),
                                variant="ghost",
                                color_scheme="red",
                                size="1",
                                aria_label="Delete validator",
                            )
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("Delete this validator?"),
                            rx.alert_dialog.description(
                                "Saved versions keep their own copy; the draft loses this check."
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(
                                    rx.button("Cancel", variant="soft", color_scheme="gray")
                                ),
                                rx.alert_dialog.action(
                                    rx.button(
                                        "Delete",
                                        color_scheme="red",
                                        on_click=ValidatorsState.delete_validator(row.id),
                                    )
                                ),
                                justify="end",
                                margin_top="1rem",
                            ),
                        ),
                    ),
                    spacing="1",
                ),
            ),
            align="center",
            width="100%",
        ),
        width="100%",
        size="1",
        class_name="validator-card",
    )


def validators_tab() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                "Checks on the rendered preview. Publishing requires every one to pass.",
                size="1",
                color=rx.color("gray", 11),
            ),
            rx.spacer(),
            rx.button(
                rx.icon("plus", size=14),
                "Add validator",
                size="1",
                on_click=ValidatorsState.new_validator,
                disabled=~EditorState.can_write,
                id="add-validator",
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            DraftState.validator_rows.length() > 0,
            rx.foreach(DraftState.validator_rows, validator_card),
            rx.text("No validators yet.", size="2"),
        ),
        validator_form(),
        spacing="2",
        width="100%",
        id="validators-panel",
    )
