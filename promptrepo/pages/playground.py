"""/projects/{id}/prompts/{id}/playground: a prompt's type, messages and model settings; runs
against a model with the answer streaming in; the runs kept, re-run and compared; test cases
and "Run all". Reached from the editor (a link the editor shows) or by its URL."""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.forms import form_alert
from promptrepo.components.model_settings import MONO, model_settings_form
from promptrepo.components.model_settings import field_label as _label
from promptrepo.components.model_settings import native_select as _select
from promptrepo.components.tables import scrolling_table
from promptrepo.components.template import template
from promptrepo.services.testcases import EXPECTATION_TYPES
from promptrepo.state.base import AppState
from promptrepo.state.playground import (
    ROLES,
    STATUS_COLORS,
    CaseRow,
    MessageRow,
    ResultRow,
    RunOutputState,
    RunRow,
)
from promptrepo.state.playground import PlaygroundState as P


def card(title: str, *children: rx.Component, id: str) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, as_="h2", size="4"), *children, spacing="3", align="stretch"),
        width="100%",
        id=id,
    )


# --------------------------------------------------------------------------- the prompt
def _message(row: MessageRow, index: rx.Var) -> rx.Component:
    controls = rx.hstack(
        rx.icon_button(
            rx.icon("arrow-up", size=14),
            variant="ghost",
            size="1",
            aria_label="Move message up",
            on_click=P.move_message(index, -1),
            disabled=P.viewing_version,
        ),
        rx.icon_button(
            rx.icon("arrow-down", size=14),
            variant="ghost",
            size="1",
            aria_label="Move message down",
            on_click=P.move_message(index, 1),
            disabled=P.viewing_version,
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            variant="ghost",
            color_scheme="red",
            size="1",
            aria_label="Remove message",
            on_click=P.remove_message(index),
            disabled=P.viewing_version,
        ),
        spacing="1",
    )
    return rx.cond(
        row.kind == "placeholder",
        rx.hstack(
            rx.badge("placeholder", color_scheme="violet"),
            rx.code("{{ " + row.name + " }} messages"),
            rx.spacer(),
            controls,
            align="center",
            class_name="pg-message",
            padding="8px",
            border="1px dashed var(--violet-7)",
            border_radius="8px",
        ),
        rx.vstack(
            rx.hstack(
                _select(
                    ROLES,
                    value=row.role,
                    on_change=lambda v: P.set_message_role(index, v),
                    id="pg-role-" + index.to_string(),
                    label="Role",
                    disabled=P.viewing_version,
                ),
                rx.spacer(),
                controls,
                width="100%",
                align="center",
            ),
            rx.text_area(
                value=row.content,
                on_change=lambda v: P.set_message_content(index, v),
                id="pg-content-" + index.to_string(),
                aria_label="Message template",
                placeholder="Jinja2 template, e.g. {{ question }}",
                read_only=P.viewing_version,
                rows="3",
                width="100%",
                style=MONO,
            ),
            class_name="pg-message",
            spacing="1",
            width="100%",
        ),
    )


def prompt_card() -> rx.Component:
    return card(
        "Prompt",
        rx.hstack(
            _label("Type", "pg-type"),
            _select(
                ["text", "chat"],
                value=P.prompt_type,
                on_change=P.set_prompt_type,
                id="pg-type",
                label="Prompt type",
                disabled=P.viewing_version,
            ),
            rx.text(P.source_note, size="1", color=rx.color("gray", 10), id="pg-source-note"),
            align="center",
        ),
        rx.cond(
            P.prompt_type == "chat",
            rx.vstack(
                rx.foreach(P.messages, _message),
                rx.cond(
                    ~P.viewing_version,
                    rx.hstack(
                        rx.button(
                            "Add message",
                            variant="soft",
                            size="1",
                            on_click=P.add_message,
                            id="pg-add-message",
                        ),
                        rx.input(
                            value=P.new_placeholder,
                            on_change=P.set_new_placeholder,
                            placeholder="placeholder name, e.g. history",
                            aria_label="Placeholder name",
                            id="pg-placeholder-name",
                            size="1",
                        ),
                        rx.button(
                            "Add placeholder",
                            variant="soft",
                            color_scheme="violet",
                            size="1",
                            on_click=P.add_placeholder,
                            id="pg-add-placeholder",
                        ),
                        wrap="wrap",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.text_area(
                value=P.content,
                on_change=P.set_content,
                id="pg-text",
                aria_label="Template",
                read_only=P.viewing_version,
                rows="6",
                width="100%",
                style=MONO,
            ),
        ),
        settings_form(),
        form_alert(P.save_error, id="pg-save-error"),
        rx.cond(
            P.saved_note,
            rx.text(P.saved_note, size="2", color=rx.color("green", 11), id="pg-saved"),
        ),
        rx.button("Save draft", on_click=P.save_prompt, disabled=P.viewing_version, id="pg-save"),
        id="pg-prompt",
    )


def settings_form() -> rx.Component:
    return rx.vstack(
        rx.heading("Model settings", as_="h3", size="3"),
        model_settings_form(P.config_form, P.set_config_field, read_only=P.viewing_version),
        spacing="2",
        width="100%",
        align="stretch",
    )


# --------------------------------------------------------------------------- running
def _variable_input(name: rx.Var) -> rx.Component:
    return rx.box(
        _label(name, "var-" + name),
        rx.input(
            value=P.variable_values[name],
            on_change=lambda v: P.set_variable_value(name, v),
            id="var-" + name,
            size="1",
            width="100%",
        ),
        flex="1",
        min_width="10rem",
    )


def _placeholder_input(name: rx.Var) -> rx.Component:
    return rx.box(
        _label(name + " (messages as JSON)", "ph-" + name),
        rx.text_area(
            value=P.placeholder_values[name],
            on_change=lambda v: P.set_placeholder_value(name, v),
            id="ph-" + name,
            rows="3",
            width="100%",
            style=MONO,
        ),
        width="100%",
    )


def run_card() -> rx.Component:
    return card(
        "Run",
        rx.hstack(
            _label("Version", "pg-source"),
            _select(
                P.sources, value=P.source, on_change=P.set_source, id="pg-source", label="Version"
            ),
            _label("Provider", "pg-provider"),
            _select(
                P.provider_names,
                value=P.provider,
                on_change=P.set_provider,
                id="pg-provider",
                label="Provider",
            ),
            rx.link("Manage providers", href=routes.SETTINGS + "#providers", size="1"),
            align="center",
            wrap="wrap",
        ),
        rx.flex(rx.foreach(P.variable_names, _variable_input), wrap="wrap", spacing="2"),
        rx.foreach(P.placeholder_names, _placeholder_input),
        rx.hstack(
            rx.button("Run", on_click=P.run, loading=P.running, id="pg-run"),
            rx.button(
                "Stop",
                on_click=P.stop,
                disabled=~P.running,
                variant="soft",
                color_scheme="red",
                id="pg-stop",
            ),
            rx.cond(
                P.run_status,
                rx.badge(P.run_status, color_scheme=P.run_status_color, id="run-status"),
            ),
        ),
        form_alert(P.run_error, id="run-error"),
        rx.el.pre(
            RunOutputState.text,
            id="run-output",
            aria_live="polite",
            style={
                **MONO,
                "white_space": "pre-wrap",
                "min_height": "6rem",
                "padding": "8px",
                "background": "var(--gray-2)",
                "border_radius": "8px",
                "margin": "0",
            },
        ),
        rx.text(P.run_metrics, size="1", color=rx.color("gray", 11), id="run-metrics"),
        id="pg-run-card",
    )


def _run_row(row: RunRow) -> rx.Component:
    # The actions come first, so a narrow Runs card never hides them behind a sideways
    # scroll; tokens, latency and cost share one cell.
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Re-run", size="1", variant="soft", on_click=P.rerun(row.id), disabled=P.running
                ),
                rx.button(
                    "Compare",
                    size="1",
                    variant=rx.cond(
                        (row.id == P.compare_left) | (row.id == P.compare_right), "solid", "outline"
                    ),
                    on_click=P.pick_for_compare(row.id),
                    aria_label="Pick run for comparison",
                ),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.badge(
                row.status,
                color_scheme=rx.match(
                    row.status,
                    *((status, color) for status, color in STATUS_COLORS.items()),
                    "gray",
                ),
                title=row.error,
            )
        ),
        rx.table.cell(row.source, rx.el.br(), rx.text(row.created, size="1")),
        rx.table.cell(row.provider + " · " + row.model),
        rx.table.cell(
            rx.text(row.tokens, size="1"),
            rx.text(row.latency, size="1"),
            rx.text(row.cost, size="1", class_name="run-cost"),
        ),
        class_name="run-row",
    )


def _side(row: RunRow) -> rx.Component:
    return rx.box(
        rx.text(row.source, " · ", row.provider, " · ", row.model, weight="bold", size="2"),
        rx.text(row.latency, " · ", row.tokens, " · ", row.cost, size="1"),
        rx.cond(row.error, rx.text(row.error, color=rx.color("red", 11), size="2")),
        rx.el.pre(row.output, style={**MONO, "white_space": "pre-wrap", "margin": "0"}),
        flex="1",
        padding="8px",
        border="1px solid var(--gray-6)",
        border_radius="8px",
        min_width="0",
    )


def runs_card() -> rx.Component:
    return card(
        "Runs",
        rx.cond(
            P.runs.length() > 0,
            rx.vstack(
                rx.text(P.runs_note, size="2", id="runs-note"),
                scrolling_table(
                    ("", "Status", "Version · when", "Provider · model", "Tokens · latency · cost"),
                    P.runs,
                    _run_row,
                    size="1",
                    id="runs-table",
                ),
                spacing="2",
                width="100%",
            ),
            rx.text(
                "No runs yet. Choose a version and a provider under Run and press Run: every "
                "run is kept here, to re-run or to compare two side by side.",
                size="2",
                color=rx.color("gray", 11),
                id="runs-empty",
            ),
        ),
        rx.cond(
            P.compared.length() == 2,
            rx.vstack(
                rx.hstack(
                    rx.heading("Side by side", as_="h3", size="3"),
                    rx.button("Close", size="1", variant="ghost", on_click=P.clear_compare),
                ),
                rx.flex(rx.foreach(P.compared, _side), spacing="2", width="100%", id="compare"),
                width="100%",
            ),
        ),
        id="pg-runs",
    )


# --------------------------------------------------------------------------- test cases
def _case_row(row: CaseRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.name),
        rx.table.cell(rx.code(row.variables, size="1")),
        rx.table.cell(rx.code(row.placeholders, size="1")),
        rx.table.cell(rx.el.pre(row.expectations, style={**MONO, "margin": "0"})),
        rx.table.cell(
            rx.button(
                "Delete",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=P.delete_case(row.id),
                aria_label="Delete test case " + row.name,
            )
        ),
        class_name="case-row",
    )


def _result_row(row: ResultRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.name),
        rx.table.cell(
            rx.badge(
                rx.cond(row.passed, "pass", "fail"),
                color_scheme=rx.cond(row.passed, "green", "red"),
            )
        ),
        rx.table.cell(row.checks, class_name="result-checks"),
        rx.table.cell(
            rx.el.pre(row.output, style={**MONO, "white_space": "pre-wrap", "margin": "0"})
        ),
        rx.table.cell(row.latency),
        rx.table.cell(row.tokens),
        class_name=rx.cond(row.passed, "result-row result-pass", "result-row result-fail"),
    )


def cases_card() -> rx.Component:
    return card(
        "Test cases",
        rx.hstack(
            rx.switch(
                checked=P.require_tests, on_change=P.set_require_tests, id="pg-require-tests"
            ),
            _label(
                "This project requires every test case to pass before production moves",
                "pg-require-tests",
            ),
            align="center",
        ),
        form_alert(P.case_error, id="case-error"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *(
                        rx.table.column_header_cell(h)
                        for h in ("Name", "Variables", "Placeholders", "Expectations", "")
                    )
                )
            ),
            rx.table.body(rx.foreach(P.cases, _case_row)),
            size="1",
            id="cases-table",
        ),
        rx.form(
            rx.flex(
                rx.box(
                    _label("Name", "case-name"),
                    rx.input(name="name", id="case-name", required=True, size="1"),
                    min_width="10rem",
                ),
                rx.box(
                    _label("Variables (JSON)", "case-variables"),
                    rx.input(
                        name="variables",
                        id="case-variables",
                        placeholder='{"question": "…"}',
                        size="1",
                    ),
                    flex="1",
                    min_width="12rem",
                ),
                rx.box(
                    _label("Placeholders (JSON)", "case-placeholders"),
                    rx.input(
                        name="placeholders",
                        id="case-placeholders",
                        placeholder='{"history": [{"role": "user", "content": "Hi"}]}',
                        size="1",
                    ),
                    flex="1",
                    min_width="12rem",
                ),
                wrap="wrap",
                spacing="2",
            ),
            rx.box(
                _label(
                    "Expectations, one per line (" + ", ".join(EXPECTATION_TYPES) + ")",
                    "case-expectations",
                ),
                rx.text_area(
                    name="expectations",
                    id="case-expectations",
                    placeholder="contains: refund\nmax_length: 400\nvalid_json",
                    rows="3",
                    width="100%",
                    style=MONO,
                ),
                width="100%",
                margin_top="8px",
            ),
            rx.button("Add case", type="submit", size="1", margin_top="8px", id="case-add"),
            on_submit=P.add_case,
            reset_on_submit=False,
            key=P.case_form_key,
            width="100%",
        ),
        rx.hstack(
            rx.button("Run all", on_click=P.run_all, loading=P.testing, id="case-run-all"),
            rx.text("against the version and provider chosen under Run.", size="2"),
            align="center",
        ),
        rx.cond(
            P.results_summary, rx.text(P.results_summary, weight="medium", id="results-summary")
        ),
        rx.cond(
            P.results.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *(
                                rx.table.column_header_cell(h)
                                for h in ("Case", "Result", "Checks", "Output", "Latency", "Tokens")
                            )
                        )
                    ),
                    rx.table.body(rx.foreach(P.results, _result_row)),
                    size="1",
                    id="results-grid",
                ),
                overflow_x="auto",
            ),
        ),
        id="pg-cases",
    )


@template(
    route=routes.PROMPT_PLAYGROUND,
    title="Playground · PromptRepo",
    on_load=[AppState.check_login, P.load_playground],
)
def playground_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            # Shown once the page knows its prompt: before that the URL would be incomplete.
            rx.cond(
                P.pg_prompt_id != "",
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=16), "Editor"),
                    href=P.editor_url,
                    id="back-to-editor",
                ),
            ),
            rx.heading(P.prompt_name, " · playground", as_="h1", size="6"),
            align="center",
            spacing="4",
        ),
        form_alert(P.load_error, id="pg-load-error"),
        rx.cond(
            P.loaded,
            rx.vstack(
                rx.grid(
                    prompt_card(),
                    rx.vstack(run_card(), runs_card(), width="100%", min_width="0"),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    width="100%",
                ),
                cases_card(),
                spacing="4",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
        max_width="90rem",
    )
