"""/dashboard: the signed-in user's projects, with search, sort, paging and project dialogs."""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.badges import count_text, visibility_badge
from promptrepo.components.dialogs import confirm_delete_dialog, error_callout
from promptrepo.components.template import template
from promptrepo.state.dashboard import (
    ALL_TAGS,
    IMPORT_MAX_BYTES,
    UPLOAD_ID,
    DashboardState,
    ProjectRow,
    PromptHitRow,
)


def limit_callout() -> rx.Component:
    return rx.cond(
        DashboardState.limit_message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("sparkles")),
            rx.callout.text(
                DashboardState.limit_message,
                " ",
                rx.link("See plans and upgrade", href=routes.PRICING, weight="bold"),
            ),
            color_scheme="amber",
            id="plan-limit-message",
            width="100%",
        ),
    )


def form_error() -> rx.Component:
    return error_callout(DashboardState.form_error, width="100%")


def row_menu(row: ProjectRow) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis", size=16),
                variant="ghost",
                color_scheme="gray",
                aria_label="Project actions for " + row.name,
                class_name="project-actions",
            )
        ),
        rx.menu.content(
            rx.menu.item("Open", on_click=rx.redirect(row.url)),
            rx.cond(
                row.role == "owner",
                rx.fragment(
                    rx.menu.item(
                        "Edit name and description…", on_click=DashboardState.open_edit(row.id)
                    ),
                    rx.menu.item(
                        rx.cond(row.is_public, "Make private", "Make public"),
                        on_click=DashboardState.toggle_public(row.id),
                    ),
                    rx.menu.item("Duplicate", on_click=DashboardState.duplicate(row.id)),
                    rx.menu.separator(),
                    rx.menu.item(
                        "Delete…", color_scheme="red", on_click=DashboardState.open_delete(row.id)
                    ),
                ),
            ),
        ),
    )


def shared_note(row: ProjectRow) -> rx.Component:
    """On a project shared with me: whose it is and my role in it."""
    return rx.cond(
        row.role != "owner",
        rx.hstack(
            rx.badge(row.role, color_scheme="iris", size="1", class_name="shared-role"),
            rx.text("shared by ", row.owner_name, size="1", color=rx.color("gray", 11)),
            spacing="2",
            align="center",
        ),
    )


def project_row(row: ProjectRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(row.name, href=row.url, weight="bold", class_name="project-link"),
                rx.cond(
                    row.description != "",
                    rx.text(
                        row.description,
                        size="1",
                        color=rx.color("gray", 11),
                        max_width="32rem",
                        overflow="hidden",
                        white_space="nowrap",
                        text_overflow="ellipsis",
                    ),
                ),
                shared_note(row),
                spacing="1",
            )
        ),
        rx.table.cell(visibility_badge(row.is_public)),
        rx.table.cell(row.segment_count, class_name="segment-count"),
        rx.table.cell(row.prompt_count, class_name="prompt-count"),
        rx.table.cell(rx.text(row.updated, size="1", white_space="nowrap")),
        rx.table.cell(row_menu(row)),
        class_name="project-row",
        data_project_id=row.id,
        data_name=row.name,
    )


def project_card(row: ProjectRow) -> rx.Component:
    """The same row as a card, for phones (the table needs width)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(row.name, href=row.url, weight="bold"),
                rx.spacer(),
                row_menu(row),
                width="100%",
                align="center",
            ),
            rx.cond(
                row.description != "",
                rx.text(row.description, size="1", color=rx.color("gray", 11)),
            ),
            shared_note(row),
            rx.hstack(
                visibility_badge(row.is_public),
                rx.badge(
                    count_text(row.segment_count, "segment"), variant="outline", color_scheme="gray"
                ),
                rx.badge(
                    count_text(row.prompt_count, "prompt"), variant="outline", color_scheme="gray"
                ),
                wrap="wrap",
                spacing="2",
            ),
            rx.text("Last change ", row.updated, size="1", color=rx.color("gray", 11)),
            spacing="2",
            width="100%",
        ),
        class_name="project-card",
        width="100%",
    )


def toolbar() -> rx.Component:
    return rx.hstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder="Search projects and prompts",
            default_value=DashboardState.search,
            on_change=DashboardState.set_search.debounce(300),
            aria_label="Search projects and prompts",
            id="project-search",
            max_width="22rem",
            width="100%",
        ),
        rx.cond(
            DashboardState.tag_options.length() > 0,
            rx.select.root(
                rx.select.trigger(
                    placeholder="All tags", aria_label="Filter prompts by tag", id="tag-filter"
                ),
                rx.select.content(
                    rx.select.item("All tags", value=ALL_TAGS),
                    rx.foreach(
                        DashboardState.tag_options,
                        lambda tag: rx.select.item("#", tag, value=tag),
                    ),
                ),
                value=rx.cond(DashboardState.tag_filter != "", DashboardState.tag_filter, ALL_TAGS),
                on_change=DashboardState.set_tag_filter,
            ),
        ),
        rx.select.root(
            rx.select.trigger(aria_label="Sort projects", id="project-sort"),
            rx.select.content(
                rx.select.item("Last change", value="updated"),
                rx.select.item("Name", value="name"),
            ),
            value=DashboardState.sort,
            on_change=DashboardState.set_sort,
        ),
        rx.spacer(),
        rx.button(
            rx.icon("upload", size=14),
            "Import",
            variant="soft",
            on_click=DashboardState.open_import,
            id="open-import",
        ),
        rx.button(
            rx.icon("plus", size=14),
            "New project",
            on_click=DashboardState.open_create,
            id="new-project",
        ),
        width="100%",
        wrap="wrap",
        spacing="3",
        align="center",
    )


def pagination() -> rx.Component:
    return rx.cond(
        DashboardState.pages > 1,
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=14),
                "Previous",
                variant="soft",
                disabled=DashboardState.page <= 1,
                on_click=DashboardState.previous_page,
                id="page-previous",
            ),
            rx.text(
                "Page ",
                DashboardState.page,
                " of ",
                DashboardState.pages,
                size="2",
                id="page-indicator",
            ),
            rx.button(
                "Next",
                rx.icon("chevron-right", size=14),
                variant="soft",
                disabled=DashboardState.page >= DashboardState.pages,
                on_click=DashboardState.next_page,
                id="page-next",
            ),
            justify="center",
            align="center",
            spacing="3",
            width="100%",
        ),
    )


def prompt_hit(row: PromptHitRow) -> rx.Component:
    return rx.el.li(
        rx.link(row.name, href=row.url, weight="medium", class_name="prompt-hit-link"),
        rx.text(row.project_name, " › ", row.segment_name, size="1", color=rx.color("gray", 11)),
        rx.cond(
            row.snippet != "",
            rx.text(row.snippet, size="2", class_name="prompt-hit-snippet", trim="both"),
        ),
        rx.cond(
            row.tags.length() > 0,
            rx.hstack(
                rx.foreach(row.tags, lambda tag: rx.badge(tag, variant="soft", radius="full")),
                spacing="1",
                wrap="wrap",
                class_name="prompt-hit-tags",
            ),
        ),
        class_name="prompt-hit",
        custom_attrs={"data-id": row.id},
        style={"padding": "0.5rem 0", "border_bottom": "1px solid var(--gray-4)"},
    )


def prompt_results() -> rx.Component:
    """While searching (or filtering by tag): the user's prompts whose name or content match,
    linking to the editor."""
    return rx.cond(
        DashboardState.loaded & ((DashboardState.search != "") | (DashboardState.tag_filter != "")),
        rx.vstack(
            rx.hstack(
                rx.heading("Prompts", size="5", as_="h2"),
                rx.badge(DashboardState.prompt_total, variant="soft", id="prompt-hit-total"),
                align="center",
                spacing="3",
            ),
            rx.cond(
                DashboardState.prompt_total > 0,
                rx.el.ul(
                    rx.foreach(DashboardState.prompt_hits, prompt_hit),
                    id="prompt-hits",
                    style={"list_style": "none", "padding": "0", "margin": "0", "width": "100%"},
                ),
                rx.text(
                    "No prompt matches “",
                    DashboardState.search,
                    "” by name or text",
                    rx.cond(
                        DashboardState.tag_filter != "",
                        " with tag #" + DashboardState.tag_filter,
                        "",
                    ),
                    ".",
                    color=rx.color("gray", 11),
                    id="no-prompt-matches",
                ),
            ),
            rx.cond(
                DashboardState.prompt_pages > 1,
                rx.hstack(
                    rx.button(
                        "Previous prompts",
                        variant="soft",
                        size="1",
                        disabled=DashboardState.prompt_page <= 1,
                        on_click=DashboardState.go_to_prompt_page(DashboardState.prompt_page - 1),
                        id="prompt-page-previous",
                    ),
                    rx.text(
                        "Page ",
                        DashboardState.prompt_page,
                        " of ",
                        DashboardState.prompt_pages,
                        size="2",
                        id="prompt-page-indicator",
                    ),
                    rx.button(
                        "More prompts",
                        variant="soft",
                        size="1",
                        disabled=DashboardState.prompt_page >= DashboardState.prompt_pages,
                        on_click=DashboardState.go_to_prompt_page(DashboardState.prompt_page + 1),
                        id="prompt-page-next",
                    ),
                    align="center",
                    spacing="3",
                ),
            ),
            spacing="2",
            width="100%",
            id="prompt-results",
        ),
    )


def empty_state() -> rx.Component:
    return rx.cond(
        DashboardState.search != "",
        rx.center(
            rx.text(
                "No project matches “", DashboardState.search, "”.", color=rx.color("gray", 11)
            ),
            padding="2rem",
            id="no-matches",
        ),
        rx.card(
            rx.vstack(
                rx.icon("folder-plus", size=36, color=rx.color("accent", 9)),
                rx.heading("Start your first project", size="5", as_="h2"),
                rx.text(
                    "A project holds your prompts in order: segments (like “System” or "
                    "“Examples”) with prompts inside. Together they make one full prompt that "
                    "you can version, test and serve through the API.",
                    color=rx.color("gray", 11),
                    text_align="center",
                    max_width="36rem",
                ),
                rx.hstack(
                    rx.button("Create a project", on_click=DashboardState.open_create),
                    rx.button("Import a file", variant="soft", on_click=DashboardState.open_import),
                    rx.link(
                        rx.button("Fork a public project", variant="outline"),
                        href=routes.EXPLORE,
                    ),
                    wrap="wrap",
                    justify="center",
                ),
                align="center",
                spacing="4",
                padding="2rem",
            ),
            id="empty-state",
            width="100%",
        ),
    )


def project_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Project"),
                rx.table.column_header_cell("Visibility"),
                rx.table.column_header_cell("Segments"),
                rx.table.column_header_cell("Prompts"),
                rx.table.column_header_cell("Last change"),
                rx.table.column_header_cell(rx.text("Actions", class_name="sr-only")),
            )
        ),
        rx.table.body(rx.foreach(DashboardState.rows, project_row)),
        width="100%",
        variant="surface",
        id="project-table",
    )


def visibility_switch() -> rx.Component:
    return rx.text(
        rx.flex(
            rx.switch(
                checked=DashboardState.target_public,
                on_change=DashboardState.set_target_public,
                id="project-public",
                # The state holds the value (target_public); the name only keeps Reflex from
                # submitting the control by its id, which it is dropping.
                name="public",
            ),
            "Public: anyone can read it and fork it from the gallery",
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def dialog_buttons(submit_label: str, submit_id: str) -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
        rx.button(submit_label, type="submit", id=submit_id),
        justify="end",
        spacing="3",
        width="100%",
    )


def name_fields(name_default, description_default) -> list[rx.Component]:
    return [
        rx.text("Name", as_="label", size="2", weight="medium", html_for="project-name"),
        rx.input(
            name="name",
            id="project-name",
            default_value=name_default,
            placeholder="e.g. Support assistant",
            max_length=100,
            required=True,
            auto_focus=True,
            width="100%",
        ),
        rx.text(
            "Description", as_="label", size="2", weight="medium", html_for="project-description"
        ),
        rx.text_area(
            name="description",
            id="project-description",
            default_value=description_default,
            placeholder="What is it for? (optional)",
            max_length=2000,
            width="100%",
        ),
    ]


def project_dialog(kind: str, title: str, *fields: rx.Component, on_submit) -> rx.Component:
    """The create and edit dialogs: a form of `fields`, open while `dialog == kind`."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.form(
                rx.vstack(*fields, spacing="3"),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
        ),
        open=DashboardState.dialog == kind,
        on_open_change=DashboardState.set_dialog_open,
    )


def create_dialog() -> rx.Component:
    return project_dialog(
        "create",
        "New project",
        *name_fields("", ""),
        visibility_switch(),
        form_error(),
        limit_callout(),
        dialog_buttons("Create project", "create-project-submit"),
        on_submit=DashboardState.create,
    )


def edit_dialog() -> rx.Component:
    return project_dialog(
        "edit",
        "Edit project",
        *name_fields(DashboardState.target_name, DashboardState.target_description),
        visibility_switch(),
        form_error(),
        dialog_buttons("Save", "edit-project-submit"),
        on_submit=DashboardState.save_edit,
    )


def delete_dialog() -> rx.Component:
    return confirm_delete_dialog(
        title="Delete project?",
        description=rx.alert_dialog.description(
            "“",
            DashboardState.target_name,
            "” and all its segments, prompts, validators and versions will be deleted. "
            "This cannot be undone.",
        ),
        confirm_label="Delete project",
        on_confirm=DashboardState.confirm_delete,
        is_open=DashboardState.dialog == "delete",
        on_open_change=DashboardState.set_dialog_open,
        error=DashboardState.form_error,
    )


def import_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Import a project"),
            rx.dialog.description(
                "Upload or paste a JSON or YAML export from PromptRepo. It becomes a new private "
                "project; nothing is imported if the file has a problem.",
                size="2",
            ),
            rx.vstack(
                rx.upload(
                    rx.vstack(
                        rx.icon("file-up", size=22),
                        rx.text("Drop a .json or .yaml file here, or click to choose", size="2"),
                        rx.foreach(
                            rx.selected_files(UPLOAD_ID),
                            lambda f: rx.badge(f, variant="soft"),
                        ),
                        align="center",
                        spacing="1",
                    ),
                    id=UPLOAD_ID,
                    max_files=1,
                    # Refused in the browser before anything is sent, with a clear message;
                    # the server refuses larger bodies on /_upload too (api/middleware.py).
                    max_size=IMPORT_MAX_BYTES,
                    on_drop_rejected=DashboardState.import_rejected,
                    multiple=False,
                    accept={
                        "application/json": [".json"],
                        "application/yaml": [".yaml", ".yml"],
                        "text/yaml": [".yaml", ".yml"],
                    },
                    border=f"1px dashed {rx.color('gray', 7)}",
                    border_radius="8px",
                    padding="1rem",
                    width="100%",
                ),
                rx.button(
                    "Import the file",
                    on_click=DashboardState.import_upload(rx.upload_files(upload_id=UPLOAD_ID)),
                    variant="soft",
                    id="import-upload-submit",
                ),
                rx.text("…or paste it:", size="2", weight="medium"),
                rx.text_area(
                    value=DashboardState.import_text,
                    on_change=DashboardState.set_import_text,
                    placeholder='{"format_version": 1, "name": "…", "segments": […]}',
                    rows="8",
                    font_family="monospace",
                    id="import-text",
                    aria_label="Paste an export",
                    width="100%",
                ),
                form_error(),
                rx.cond(
                    DashboardState.import_errors.length() > 0,
                    rx.unordered_list(
                        rx.foreach(
                            DashboardState.import_errors,
                            lambda e: rx.list_item(rx.code(e), size="2"),
                        ),
                        id="import-errors",
                    ),
                ),
                limit_callout(),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Import pasted text",
                        on_click=DashboardState.import_pasted,
                        disabled=DashboardState.import_text == "",
                        id="import-paste-submit",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="3",
                margin_top="1rem",
            ),
            max_width="40rem",
        ),
        open=DashboardState.dialog == "import",
        on_open_change=DashboardState.set_dialog_open,
    )


@template(
    route=routes.DASHBOARD,
    title="Dashboard · PromptRepo",
    on_load=DashboardState.load,
)
def dashboard() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Your projects", size="7", as_="h1"),
            rx.cond(
                DashboardState.loaded,
                rx.badge(DashboardState.total, variant="soft", id="project-total"),
            ),
            align="center",
            spacing="3",
        ),
        rx.cond(DashboardState.dialog == "", limit_callout()),
        toolbar(),
        rx.cond(
            DashboardState.loaded,
            rx.cond(
                DashboardState.total > 0,
                rx.fragment(
                    rx.box(project_table(), display=["none", "none", "block"], width="100%"),
                    rx.vstack(
                        rx.foreach(DashboardState.rows, project_card),
                        display=["flex", "flex", "none"],
                        spacing="3",
                        width="100%",
                    ),
                ),
                empty_state(),
            ),
            rx.center(rx.spinner(size="3"), padding="3rem", width="100%"),
        ),
        pagination(),
        prompt_results(),
        create_dialog(),
        edit_dialog(),
        delete_dialog(),
        import_dialog(),
        spacing="5",
        width="100%",
    )
