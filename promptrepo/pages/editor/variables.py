"""The Variables tab: a compact typed table, one row per detected (or described) variable,
with the right control per type for its default and example: a select for an enum, a switch
for a boolean, a number field, a JSON editor, a text field."""

from __future__ import annotations

import reflex as rx

from promptrepo.pages.editor.common import MONO
from promptrepo.services.variables import VARIABLE_TYPES
from promptrepo.state.editor import DraftState, EditorState, VariableRow, VariablesState


def typed_value(
    row: VariableRow,
    field: str,
    value: rx.Var,
    *,
    id_prefix: str = "var-",
    placeholder: rx.Var | str = "",
) -> rx.Component:
    """The control for `row`'s default or example, by the variable's type (also the Preview
    tab's example values, with ids `example-<name>`: id_prefix="")."""
    control_id = f"{id_prefix}{field}-{row.name}"
    label = f"{field.capitalize()} of {row.name}"
    common = {"id": control_id, "aria_label": label}
    locked = ~EditorState.can_write

    def set_value(v: str):
        return VariablesState.set_var_field(row.name, field, v)

    def text_field(**extra) -> rx.Component:
        return rx.input(
            value=value,
            on_change=set_value,
            placeholder=placeholder,
            size="1",
            read_only=locked,
            width="100%",
            **common,
            **extra,
        )

    return rx.match(
        row.type,
        (
            "enum",
            rx.el.select(
                rx.el.option("—", value=""),
                rx.foreach(row.option_list, lambda o: rx.el.option(o, value=o)),
                value=value,
                on_change=set_value,
                disabled=locked,
                class_name="var-select",
                **common,
            ),
        ),
        (
            "boolean",
            rx.switch(
                checked=value == "true",
                on_change=lambda c: VariablesState.set_var_flag(row.name, field, c),
                disabled=locked,
                size="1",
                **common,
            ),
        ),
        # A text field with the numeric keyboard, not type="number": that one shows a value
        # that is not a number (kept from before the type changed, or set through the API)
        # as empty, where the user could neither see nor clear it.
        ("number", text_field(input_mode="decimal")),
        (
            "json",
            rx.text_area(
                value=value,
                on_change=set_value,
                placeholder=placeholder,
                rows="2",
                size="1",
                font_family=MONO,
                spell_check=False,
                read_only=locked,
                width="100%",
                **common,
            ),
        ),
        text_field(),
    )


def variable_row(row: VariableRow) -> rx.Component:
    return rx.fragment(
        rx.table.row(
            rx.table.row_header_cell(
                rx.vstack(
                    rx.code(row.name, weight="bold", size="1"),
                    rx.cond(
                        row.used,
                        rx.fragment(),
                        rx.hstack(
                            rx.badge("unused", color_scheme="gray", variant="outline", size="1"),
                            rx.cond(
                                EditorState.can_write,
                                rx.icon_button(
                                    rx.icon("trash-2", size=12),
                                    size="1",
                                    variant="ghost",
                                    color_scheme="red",
                                    on_click=VariablesState.remove_variable(row.name),
                                    aria_label="Remove variable " + row.name,
                                    id=f"remove-var-{row.name}",
                                ),
                            ),
                            spacing="1",
                            align="center",
                        ),
                    ),
                    spacing="1",
                ),
            ),
            rx.table.cell(
                rx.vstack(
                    rx.select(
                        list(VARIABLE_TYPES),
                        value=row.type,
                        on_change=lambda v: VariablesState.set_var_field(row.name, "type", v),
                        size="1",
                        disabled=~EditorState.can_write,
                        id=f"var-type-{row.name}",
                        aria_label="Type of " + row.name,
                    ),
                    rx.cond(
                        row.type == "enum",
                        rx.input(
                            value=row.options,
                            on_change=lambda v: VariablesState.set_var_field(
                                row.name, "options", v
                            ),
                            placeholder="a, b, c",
                            size="1",
                            id=f"var-options-{row.name}",
                            aria_label="Options of " + row.name + " (comma-separated)",
                            read_only=~EditorState.can_write,
                            width="100%",
                        ),
                    ),
                    spacing="1",
                ),
            ),
            rx.table.cell(
                rx.checkbox(
                    checked=row.required,
                    on_change=lambda c: VariablesState.set_var_required(row.name, c),
                    disabled=~EditorState.can_write,
                    id=f"var-required-{row.name}",
                    aria_label=row.name + " is required",
                ),
                text_align="center",
            ),
            rx.table.cell(typed_value(row, "default", row.default)),
            rx.table.cell(typed_value(row, "example", row.example)),
            rx.table.cell(
                rx.input(
                    value=row.description,
                    on_change=lambda v: VariablesState.set_var_field(row.name, "description", v),
                    size="1",
                    id=f"var-description-{row.name}",
                    aria_label="Description of " + row.name,
                    read_only=~EditorState.can_write,
                    width="100%",
                ),
            ),
            id=f"var-{row.name}",
            align="center",
        ),
        rx.cond(
            row.error,
            rx.table.row(
                rx.table.cell(
                    rx.text(
                        row.name + ": " + row.error,
                        size="1",
                        color=rx.color("red", 11),
                        role="alert",
                        id=f"var-error-{row.name}",
                    ),
                    col_span=6,
                ),
            ),
        ),
    )


def variables_tab() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Variables are detected as you type, typed by how the template uses them (only in "
            "{% if %}: boolean; only in {% for %}: JSON; with | default: optional) until you "
            "change them. Unused ones you described are kept until you remove them; versions "
            "keep only the ones they use.",
            size="1",
            color=rx.color("gray", 11),
        ),
        rx.cond(
            DraftState.variable_rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Name"),
                            rx.table.column_header_cell("Type"),
                            rx.table.column_header_cell(
                                rx.el.abbr("Req.", title="Required"), aria_label="Required"
                            ),
                            rx.table.column_header_cell("Default"),
                            rx.table.column_header_cell("Example"),
                            rx.table.column_header_cell("Description"),
                        )
                    ),
                    rx.table.body(rx.foreach(DraftState.variable_rows, variable_row)),
                    size="1",
                    width="100%",
                    # Six columns in a side panel 456 px wide at 1280: with Radix's cells
                    # (8 px each side, 14 px headers) they needed 551 px and the last one was
                    # cut. Half the padding across, none at the table's two edges, 12 px
                    # headers (the size of the controls under them) and "Req." need ~430 px,
                    # a "boolean" type included; a longer name scrolls the table in its box.
                    style={
                        "--table-cell-padding": "var(--space-2) var(--space-1)",
                        "& tr > .rt-TableCell:first-child": {"paddingLeft": "0"},
                        "& tr > .rt-TableCell:last-child": {"paddingRight": "0"},
                        "& .rt-TableColumnHeaderCell": {"fontSize": "var(--font-size-1)"},
                    },
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text(
                "No variables yet. Type {{ name }} in the template.", size="2", id="no-variables"
            ),
        ),
        spacing="2",
        width="100%",
        id="variables-panel",
    )
