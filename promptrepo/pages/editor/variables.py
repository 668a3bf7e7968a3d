"""The Variables tab: one card per detected (or described) variable."""

from __future__ import annotations

import reflex as rx

from promptrepo.services.variables import VARIABLE_TYPES
from promptrepo.state.editor import DraftState, EditorState, VariableRow, VariablesState


def variable_card(row: VariableRow) -> rx.Component:
    def labelled(label: str, control: rx.Component) -> rx.Component:
        return rx.vstack(
            rx.text(label, size="1", color=rx.color("gray", 11)),
            control,
            spacing="0",
            flex="1",
            min_width="8rem",
        )

    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.code(row.name, weight="bold"),
                rx.cond(
                    row.used,
                    rx.fragment(),
                    rx.badge("unused", color_scheme="gray", variant="outline"),
                ),
                rx.spacer(),
                rx.cond(
                    ~row.used & EditorState.can_write,
                    rx.button(
                        rx.icon("trash-2", size=12),
                        "Remove",
                        size="1",
                        variant="ghost",
                        color_scheme="red",
                        on_click=VariablesState.remove_variable(row.name),
                        id=f"remove-var-{row.name}",
                    ),
                ),
                width="100%",
                align="center",
            ),
            rx.hstack(
                labelled(
                    "Type",
                    rx.select(
                        list(VARIABLE_TYPES),
                        value=row.type,
                        on_change=lambda v: VariablesState.set_var_field(row.name, "type", v),
                        size="1",
                        disabled=~EditorState.can_write,
                        id=f"var-type-{row.name}",
                    ),
                ),
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(
                            checked=row.required,
                            on_change=lambda c: VariablesState.set_var_required(row.name, c),
                            disabled=~EditorState.can_write,
                            id=f"var-required-{row.name}",
                        ),
                        rx.text("Required", size="1"),
                        align="center",
                        spacing="1",
                    ),
                    padding_top="1rem",
                ),
                width="100%",
                wrap="wrap",
                align="start",
            ),
            rx.hstack(
                labelled(
                    "Default",
                    rx.input(
                        value=row.default,
                        on_change=lambda v: VariablesState.set_var_field(row.name, "default", v),
                        size="1",
                        id=f"var-default-{row.name}",
                        read_only=~EditorState.can_write,
                    ),
                ),
                labelled(
                    "Example",
                    rx.input(
                        value=row.example,
                        on_change=lambda v: VariablesState.set_var_field(row.name, "example", v),
                        size="1",
                        id=f"var-example-{row.name}",
                        read_only=~EditorState.can_write,
                    ),
                ),
                width="100%",
                wrap="wrap",
            ),
            rx.cond(
                row.type == "enum",
                labelled(
                    "Options (comma-separated)",
                    rx.input(
                        value=row.options,
                        on_change=lambda v: VariablesState.set_var_field(row.name, "options", v),
                        size="1",
                        id=f"var-options-{row.name}",
                        read_only=~EditorState.can_write,
                    ),
                ),
            ),
            labelled(
                "Description",
                rx.input(
                    value=row.description,
                    on_change=lambda v: VariablesState.set_var_field(row.name, "description", v),
                    size="1",
                    id=f"var-description-{row.name}",
                    read_only=~EditorState.can_write,
                ),
            ),
            rx.cond(
                row.error,
                rx.text(
                    row.error,
                    size="1",
                    color=rx.color("red", 11),
                    role="alert",
                    id=f"var-error-{row.name}",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        size="1",
        id=f"var-{row.name}",
    )


def variables_tab() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Variables are detected from {{ … }} as you type. Unused ones you described are "
            "kept until you remove them; versions keep only the ones they use.",
            size="1",
            color=rx.color("gray", 11),
        ),
        rx.cond(
            DraftState.variable_rows.length() > 0,
            rx.foreach(DraftState.variable_rows, variable_card),
            rx.text(
                "No variables yet. Type {{ name }} in the template.", size="2", id="no-variables"
            ),
        ),
        spacing="2",
        width="100%",
        id="variables-panel",
    )
