"""/settings → Model providers: the section the settings page includes (connections for the
playground, and the price table that turns token counts into cost)."""

from __future__ import annotations

import reflex as rx

from promptrepo.components.forms import form_alert
from promptrepo.state.providers import ConnectionRow, PriceRow
from promptrepo.state.providers import ProvidersState as P


def _labelled(label: str, id: str, **props) -> rx.Component:
    return rx.box(
        rx.el.label(label, html_for=id, font_weight="500", font_size="14px"),
        rx.input(id=id, size="2", width="100%", **props),
        flex="1",
        min_width="10rem",
    )


def _connection_row(row: ConnectionRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.name, weight="medium")),
        rx.table.cell(rx.code(row.base_url, size="1")),
        rx.table.cell(row.default_model),
        rx.table.cell(rx.badge(row.key, color_scheme=rx.cond(row.key == "saved", "green", "gray"))),
        rx.table.cell(
            rx.cond(
                row.builtin,
                rx.text("—", color=rx.color("gray", 10)),
                rx.button(
                    "Remove",
                    variant="soft",
                    color_scheme="red",
                    size="1",
                    aria_label="Remove connection " + row.name,
                    on_click=P.remove_connection(row.id),
                ),
            )
        ),
    )


def _price_row(row: PriceRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.model),
        rx.table.cell("$" + row.input_per_million),
        rx.table.cell("$" + row.output_per_million),
        rx.table.cell(
            rx.button(
                "Remove",
                variant="soft",
                color_scheme="red",
                size="1",
                aria_label="Remove price of " + row.model,
                on_click=P.remove_price(row.model),
            )
        ),
    )


def providers_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Model providers", as_="h2", size="5"),
            rx.text(
                "OpenAI-compatible endpoints the playground runs prompts against. API keys are "
                "stored encrypted and never shown again after saving; ",
                rx.code("echo"),
                " is built in and works offline.",
                color=rx.color("gray", 11),
                size="2",
            ),
            form_alert(P.connection_error, id="provider-error"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *(
                            rx.table.column_header_cell(h)
                            for h in ("Name", "Base URL", "Default model", "Key", "")
                        )
                    )
                ),
                rx.table.body(rx.foreach(P.connections, _connection_row)),
                size="1",
                width="100%",
                id="provider-table",
            ),
            rx.form(
                rx.flex(
                    _labelled("Name", "provider-name", name="name", required=True, max_length=60),
                    _labelled(
                        "Base URL",
                        "provider-base-url",
                        name="base_url",
                        required=True,
                        placeholder="https://api.openai.com/v1",
                    ),
                    _labelled(
                        "API key",
                        "provider-api-key",
                        name="api_key",
                        type="password",
                        auto_complete="off",
                    ),
                    _labelled(
                        "Default model",
                        "provider-default-model",
                        name="default_model",
                        placeholder="gpt-4o-mini",
                    ),
                    rx.button("Add connection", type="submit", id="provider-add"),
                    wrap="wrap",
                    spacing="3",
                    align="end",
                ),
                on_submit=P.add_connection,
                reset_on_submit=False,
                key=P.form_key,
                width="100%",
            ),
            rx.heading("Prices", as_="h3", size="3"),
            rx.text(
                "US dollars per million tokens; a run shows its cost when its model is listed.",
                color=rx.color("gray", 11),
                size="2",
            ),
            form_alert(P.price_error, id="price-error"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *(
                            rx.table.column_header_cell(h)
                            for h in ("Model", "Input / 1M", "Output / 1M", "")
                        )
                    )
                ),
                rx.table.body(rx.foreach(P.prices, _price_row)),
                size="1",
                width="100%",
                id="price-table",
            ),
            rx.form(
                rx.flex(
                    _labelled("Model", "price-model", name="model", required=True),
                    _labelled(
                        "Input $ / 1M",
                        "price-input",
                        name="input_per_million",
                        type="number",
                        step="any",
                        min="0",
                        required=True,
                    ),
                    _labelled(
                        "Output $ / 1M",
                        "price-output",
                        name="output_per_million",
                        type="number",
                        step="any",
                        min="0",
                        required=True,
                    ),
                    rx.button("Save price", type="submit", id="price-save"),
                    wrap="wrap",
                    spacing="3",
                    align="end",
                ),
                on_submit=P.set_price,
                key=P.form_key,
                width="100%",
            ),
            spacing="4",
            align="stretch",
            width="100%",
        ),
        size="3",
        width="100%",
        id="providers",
    )
