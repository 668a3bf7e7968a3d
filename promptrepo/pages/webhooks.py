"""/projects/[project_id]/webhooks: add endpoints, see every delivery and redeliver."""

import reflex as rx

from promptrepo import routes
from promptrepo.components.forms import copy_button
from promptrepo.components.template import template
from promptrepo.state.webhooks import DeliveryRow, HookRow
from promptrepo.state.webhooks import WebhooksState as W


def hook_row(hook: HookRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(hook.url, word_break="break-all")),
        rx.table.cell(rx.text(hook.events, size="2")),
        rx.table.cell(
            rx.button(
                "Delete",
                size="1",
                color_scheme="red",
                variant="soft",
                on_click=W.delete_webhook(hook.id),
                aria_label="Delete webhook " + hook.url,
            )
        ),
        class_name="webhook-row",
    )


def delivery_row(row: DeliveryRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.when, size="1"), white_space="nowrap"),
        rx.table.cell(rx.code(row.event)),
        rx.table.cell(
            rx.badge(
                row.status,
                color_scheme=rx.match(
                    row.status, ("delivered", "green"), ("failed", "red"), "amber"
                ),
            )
        ),
        rx.table.cell(rx.text(row.code, size="2"), class_name="delivery-code"),
        rx.table.cell(rx.text(row.attempts, size="2")),
        rx.table.cell(rx.text(row.detail, size="1", color=rx.color("gray", 11))),
        rx.table.cell(
            rx.button(
                "Redeliver",
                size="1",
                variant="soft",
                on_click=W.redeliver(row.id),
                aria_label="Redeliver " + row.event,
            )
        ),
        class_name="delivery-row",
    )


def add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Endpoint URL", html_for="webhook-url", font_weight="500"),
            rx.input(
                id="webhook-url",
                name="url",
                placeholder="https://example.com/hooks/prompts",
                required=True,
                max_length=2000,
                width="100%",
            ),
            rx.hstack(
                rx.foreach(
                    W.event_names,
                    lambda name: rx.text(
                        rx.flex(
                            rx.checkbox(
                                name=name,
                                default_checked=name == "label.moved",
                                aria_label=name,
                            ),
                            rx.code(name),
                            spacing="2",
                        ),
                        as_="label",
                        size="2",
                    ),
                ),
                spacing="4",
                wrap="wrap",
            ),
            rx.button("Add webhook", type="submit", id="add-webhook", disabled=~W.is_hydrated),
            rx.cond(
                W.form_error != "",
                rx.callout.root(
                    rx.callout.text(W.form_error), color_scheme="red", id="webhook-error"
                ),
            ),
            spacing="3",
            align="stretch",
        ),
        on_submit=W.add_webhook,
        reset_on_submit=False,
    )


def secret_callout() -> rx.Component:
    return rx.cond(
        W.new_secret,
        rx.callout.root(
            rx.vstack(
                rx.text(
                    "Signing secret (shown once): verify each delivery with it, e.g. with the "
                    "standardwebhooks package.",
                    weight="medium",
                ),
                rx.hstack(
                    rx.code(W.new_secret, id="webhook-secret", word_break="break-all"),
                    copy_button(W.new_secret, id="copy-webhook-secret", size="1"),
                    wrap="wrap",
                ),
                rx.button("I have stored it", size="1", variant="soft", on_click=W.dismiss_secret),
                spacing="2",
            ),
            color_scheme="green",
        ),
    )


@template(route=routes.PROJECT_WEBHOOKS, title="Webhooks · PromptRepo", on_load=W.load)
def webhooks_page() -> rx.Component:
    return rx.cond(
        W.not_found,
        rx.vstack(
            rx.heading("Project not found", as_="h1", size="6"),
            rx.link("Back to the dashboard", href=routes.DASHBOARD),
        ),
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), W.project_name, align="center"),
                href="/projects/" + W.project_id,
                size="2",
            ),
            rx.heading("Webhooks", as_="h1", size="7"),
            rx.text(
                "PromptRepo POSTs version.created, label.moved (publish, rollback, any label set "
                "or removed) and prompt.deleted to your endpoints, signed per the Standard "
                "Webhooks spec, and retries failures for 24 hours.",
                color=rx.color("gray", 11),
            ),
            rx.card(rx.vstack(add_form(), secret_callout(), spacing="3"), width="100%"),
            rx.cond(
                W.action_error != "",
                rx.callout.root(rx.callout.text(W.action_error), color_scheme="red"),
            ),
            rx.cond(
                W.hooks.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("URL"),
                            rx.table.column_header_cell("Events"),
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(W.hooks, hook_row)),
                    width="100%",
                    id="webhooks-table",
                ),
                rx.text("No webhooks yet.", color=rx.color("gray", 11), id="no-webhooks"),
            ),
            rx.hstack(
                rx.heading("Deliveries", as_="h2", size="5"),
                rx.text(W.delivery_total, " in all (latest 50)", size="2"),
                rx.button("Refresh", size="1", variant="soft", on_click=W.refresh, id="refresh"),
                align="center",
                spacing="3",
            ),
            rx.cond(
                W.deliveries,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("When"),
                            rx.table.column_header_cell("Event"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell("Response"),
                            rx.table.column_header_cell("Attempts"),
                            rx.table.column_header_cell("Detail"),
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(W.deliveries, delivery_row)),
                    width="100%",
                    size="1",
                    id="deliveries-table",
                ),
                rx.text(
                    "No deliveries yet: each event a webhook listens to (a saved version, a "
                    "moved label, a deleted prompt) is delivered and listed here.",
                    color=rx.color("gray", 11),
                    id="no-deliveries",
                ),
            ),
            spacing="4",
            width="100%",
            align="stretch",
        ),
    )
