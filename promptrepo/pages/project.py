"""/projects/[project_id]: a project's segments and prompts in order, and its composed text.

The owner and editors add, rename, reorder (drag and drop, or the move buttons from the
keyboard), move and delete; viewers read; the Team dialog (pages/project_team.py) shows the
members. Anyone may read a public project, and signed-in visitors may fork it.
"""

import reflex as rx

from promptrepo import routes
from promptrepo.components.badges import visibility_badge
from promptrepo.components.dialogs import confirm_delete_dialog, error_callout
from promptrepo.components.dnd import drag_div
from promptrepo.components.forms import copy_button
from promptrepo.components.template import template
from promptrepo.pages.project_team import team_button, team_dialog
from promptrepo.state.members import MembersState
from promptrepo.state.project import ALL_TAGS, ProjectState, PromptView, SegmentView

OWNER = ProjectState.is_owner
CAN_EDIT = ProjectState.can_edit  # owner or editor: the content
# While a tag filter hides prompts, "up" and "down" would jump over hidden ones: off.
FILTERED = ProjectState.tag_filter != ""


def icon_button(icon: str, label, on_click, **props) -> rx.Component:
    return rx.tooltip(
        rx.icon_button(
            rx.icon(icon, size=14),
            on_click=on_click,
            variant="ghost",
            color_scheme="gray",
            size="1",
            aria_label=label,
            **props,
        ),
        content=label,
    )


def limit_callout() -> rx.Component:
    return rx.cond(
        ProjectState.limit_message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("sparkles")),
            rx.callout.text(
                ProjectState.limit_message,
                " ",
                rx.link("See plans and upgrade", href=routes.PRICING, weight="bold"),
            ),
            color_scheme="amber",
            id="plan-limit-message",
            width="100%",
        ),
    )


# --------------------------------------------------------------------------- header
def header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            # A visitor has no dashboard: they came from Explore.
            rx.cond(
                ProjectState.is_authenticated,
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=14), "Dashboard", align="center"),
                    href=routes.DASHBOARD,
                    size="2",
                    id="back-link",
                ),
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=14), "Explore", align="center"),
                    href=routes.EXPLORE,
                    size="2",
                    id="back-link",
                ),
            ),
            rx.cond(
                ~OWNER,
                rx.cond(
                    ProjectState.is_authenticated,
                    rx.link(
                        rx.hstack(rx.icon("compass", size=14), "Explore", align="center"),
                        href=routes.EXPLORE,
                        size="2",
                    ),
                ),
                rx.hstack(
                    rx.link(
                        rx.hstack(rx.icon("webhook", size=14), "Webhooks", align="center"),
                        href="/projects/" + ProjectState.current_id + "/webhooks",
                        size="2",
                        id="project-webhooks-link",
                    ),
                    rx.link(
                        rx.hstack(rx.icon("history", size=14), "Activity", align="center"),
                        href="/projects/" + ProjectState.current_id + "/activity",
                        size="2",
                        id="project-activity-link",
                    ),
                    spacing="4",
                ),
            ),
            spacing="4",
        ),
        rx.hstack(
            rx.heading(ProjectState.name, size="7", as_="h1", id="project-name-heading"),
            visibility_badge(ProjectState.is_public),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        # Signed out, the prompts' links lead to the login page (the editor needs an account,
        # even to read): say so before the click, and where to read every prompt in full.
        rx.cond(
            ~ProjectState.is_authenticated,
            rx.text(
                "A public project: every prompt's full text is in ",
                rx.link(
                    "the Composed tab",
                    href="#tab-composed",
                    on_click=[rx.prevent_default, ProjectState.set_tab("composed")],
                    id="visitor-read",
                ),
                "; log in to open its prompts in the editor (variables, validators, "
                "versions) or to fork it.",
                size="2",
                color=rx.color("gray", 11),
                id="visitor-note",
            ),
        ),
        rx.cond(
            ProjectState.description != "",
            rx.text(ProjectState.description, color=rx.color("gray", 11)),
        ),
        rx.hstack(
            rx.text("by ", rx.text.strong(ProjectState.owner_name), size="2"),
            rx.text("·", size="2", color=rx.color("gray", 9)),
            rx.hstack(
                rx.icon("git-fork", size=12),
                rx.text(
                    rx.el.span(ProjectState.fork_count, id="fork-count"),
                    rx.cond(ProjectState.fork_count == 1, " fork", " forks"),
                    size="2",
                ),
                spacing="1",
                align="center",
            ),
            rx.cond(
                ProjectState.forked_from_name != "",
                rx.text(
                    "· forked from ",
                    rx.link(
                        ProjectState.forked_from_name,
                        href="/projects/" + ProjectState.forked_from_id,
                        id="forked-from",
                    ),
                    size="2",
                ),
            ),
            rx.text("· last change ", ProjectState.updated, size="2", color=rx.color("gray", 11)),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        rx.hstack(
            rx.cond(
                OWNER,
                rx.text(
                    rx.flex(
                        rx.switch(
                            checked=ProjectState.is_public,
                            on_change=ProjectState.set_public,
                            id="public-toggle",
                        ),
                        "Public",
                        spacing="2",
                        align="center",
                    ),
                    as_="label",
                    size="2",
                ),
            ),
            rx.cond(
                ProjectState.role == "",
                rx.cond(
                    ProjectState.is_authenticated,
                    rx.button(
                        rx.icon("git-fork", size=14),
                        "Fork",
                        on_click=ProjectState.fork,
                        id="fork-button",
                    ),
                    rx.link(
                        rx.button(rx.icon("git-fork", size=14), "Log in to fork", variant="soft"),
                        href=routes.LOGIN + "?next=/projects/" + ProjectState.current_id,
                    ),
                ),
            ),
            rx.cond(ProjectState.role != "", team_button()),
            rx.cond(
                ProjectState.role != "",
                rx.badge(ProjectState.role, color_scheme="iris", id="my-role"),
            ),
            rx.menu.root(
                rx.menu.trigger(
                    rx.button(rx.icon("download", size=14), "Export", variant="soft", id="export")
                ),
                rx.menu.content(
                    rx.menu.item("JSON", on_click=ProjectState.export("json"), id="export-json"),
                    rx.menu.item("YAML", on_click=ProjectState.export("yaml"), id="export-yaml"),
                    rx.menu.item(
                        "Markdown", on_click=ProjectState.export("markdown"), id="export-markdown"
                    ),
                ),
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        limit_callout(),
        spacing="2",
        width="100%",
    )


# --------------------------------------------------------------------------- structure
def move_to_segment(prompt: PromptView) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(
            placeholder="Move to…",
            variant="ghost",
            size="1",
            aria_label="Move " + prompt.name + " to another segment",
            class_name="move-to-segment",
        ),
        rx.select.content(
            rx.foreach(
                ProjectState.segment_choices,
                lambda choice: rx.select.item(
                    choice.name, value=choice.id, disabled=choice.id == prompt.segment_id
                ),
            ),
        ),
        value="",
        on_change=lambda segment_id: ProjectState.move_prompt_to_segment(prompt.id, segment_id),
        size="1",
    )


def prompt_row(prompt: PromptView) -> rx.Component:
    return drag_div(
        rx.hstack(
            rx.cond(CAN_EDIT, rx.icon("grip-vertical", size=14, color=rx.color("gray", 9))),
            rx.vstack(
                rx.hstack(
                    rx.link(
                        prompt.name, href=prompt.url, weight="medium", class_name="prompt-link"
                    ),
                    rx.cond(
                        prompt.published != "",
                        rx.badge("published ", prompt.published, color_scheme="green", size="1"),
                    ),
                    rx.foreach(
                        prompt.tags,
                        lambda tag: rx.badge(
                            tag, variant="soft", radius="full", size="1", class_name="prompt-tag"
                        ),
                    ),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.cond(
                    prompt.preview != "",
                    rx.text(
                        prompt.preview,
                        size="1",
                        color=rx.color("gray", 11),
                        font_family="monospace",
                    ),
                    rx.text(
                        rx.cond(CAN_EDIT, "Empty: open it to write.", "Empty."),
                        size="1",
                        color=rx.color("gray", 9),
                    ),
                ),
                spacing="1",
                flex="1 1 16rem",
                min_width="0",
            ),
            rx.cond(
                CAN_EDIT,
                rx.hstack(
                    icon_button(
                        "arrow-up",
                        "Move " + prompt.name + " up",
                        ProjectState.move_prompt(prompt.id, -1),
                        disabled=prompt.is_first | FILTERED,
                        class_name="prompt-up",
                    ),
                    icon_button(
                        "arrow-down",
                        "Move " + prompt.name + " down",
                        ProjectState.move_prompt(prompt.id, 1),
                        disabled=prompt.is_last | FILTERED,
                        class_name="prompt-down",
                    ),
                    move_to_segment(prompt),
                    icon_button(
                        "pencil",
                        "Rename " + prompt.name,
                        ProjectState.open_dialog("rename", "prompt", prompt.id, prompt.name),
                        class_name="prompt-rename",
                    ),
                    icon_button(
                        "trash-2",
                        "Delete " + prompt.name,
                        ProjectState.open_dialog("delete", "prompt", prompt.id, prompt.name),
                        class_name="prompt-delete",
                    ),
                    spacing="1",
                    align="center",
                    margin_left="auto",
                ),
            ),
            align="center",
            spacing="3",
            width="100%",
            wrap="wrap",
        ),
        draggable=CAN_EDIT,
        on_drag_start=ProjectState.drag_start("prompt", prompt.id).stop_propagation,
        on_drag_over=rx.prevent_default,
        on_drop=ProjectState.drop_on_prompt(prompt.id).prevent_default.stop_propagation,
        class_name="drag-item prompt-item",
        data_prompt_id=prompt.id,
        data_name=prompt.name,
        width="100%",
        padding="0.5rem 0.75rem",
        border_radius="6px",
        background=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 4)}",
    )


def segment_card(segment: SegmentView) -> rx.Component:
    return drag_div(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.cond(CAN_EDIT, rx.icon("grip-vertical", size=16, color=rx.color("gray", 9))),
                    rx.heading(segment.name, size="4", as_="h2", class_name="segment-name"),
                    rx.badge(segment.prompts.length(), variant="soft", size="1"),
                    rx.spacer(),
                    rx.cond(
                        CAN_EDIT,
                        rx.hstack(
                            icon_button(
                                "arrow-up",
                                "Move segment " + segment.name + " up",
                                ProjectState.move_segment(segment.id, -1),
                                disabled=segment.is_first,
                                class_name="segment-up",
                            ),
                            icon_button(
                                "arrow-down",
                                "Move segment " + segment.name + " down",
                                ProjectState.move_segment(segment.id, 1),
                                disabled=segment.is_last,
                                class_name="segment-down",
                            ),
                            icon_button(
                                "pencil",
                                "Rename segment " + segment.name,
                                ProjectState.open_dialog(
                                    "rename", "segment", segment.id, segment.name
                                ),
                                class_name="segment-rename",
                            ),
                            icon_button(
                                "trash-2",
                                "Delete segment " + segment.name,
                                ProjectState.open_dialog(
                                    "delete", "segment", segment.id, segment.name
                                ),
                                class_name="segment-delete",
                            ),
                            spacing="1",
                        ),
                    ),
                    align="center",
                    width="100%",
                    spacing="2",
                ),
                rx.cond(
                    segment.prompts.length() > 0,
                    rx.vstack(rx.foreach(segment.prompts, prompt_row), spacing="2", width="100%"),
                    rx.text(
                        rx.cond(
                            CAN_EDIT, "No prompts yet: add one, or drop one here.", "No prompts."
                        ),
                        size="2",
                        color=rx.color("gray", 10),
                    ),
                ),
                rx.cond(
                    CAN_EDIT,
                    rx.button(
                        rx.icon("plus", size=14),
                        "Add prompt",
                        variant="ghost",
                        size="1",
                        on_click=ProjectState.open_dialog(
                            "add_prompt", "segment", segment.id, segment.name
                        ),
                        class_name="add-prompt",
                        aria_label="Add a prompt to " + segment.name,
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        draggable=CAN_EDIT,
        on_drag_start=ProjectState.drag_start("segment", segment.id),
        on_drag_over=rx.prevent_default,
        on_drop=ProjectState.drop_on_segment(segment.id).prevent_default,
        class_name="drag-item segment-item",
        data_segment_id=segment.id,
        data_name=segment.name,
        width="100%",
    )


def add_segment_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="name",
                placeholder="New segment name, e.g. System",
                max_length=100,
                required=True,
                id="new-segment-name",
                aria_label="New segment name",
                flex="1",
            ),
            rx.button(rx.icon("plus", size=14), "Add segment", type="submit", id="add-segment"),
            width="100%",
            max_width="32rem",
        ),
        on_submit=ProjectState.add_segment,
        reset_on_submit=True,
        width="100%",
    )


def tag_filter() -> rx.Component:
    """Shown when the project's prompts carry tags: show only the prompts with one."""
    return rx.cond(
        ProjectState.tag_options.length() > 0,
        rx.hstack(
            rx.select.root(
                rx.select.trigger(
                    placeholder="All tags",
                    aria_label="Show prompts with tag",
                    id="project-tag-filter",
                ),
                rx.select.content(
                    rx.select.item("All tags", value=ALL_TAGS),
                    rx.foreach(
                        ProjectState.tag_options, lambda tag: rx.select.item("#", tag, value=tag)
                    ),
                ),
                value=rx.cond(FILTERED, ProjectState.tag_filter, ALL_TAGS),
                on_change=ProjectState.set_tag_filter,
            ),
            rx.cond(
                FILTERED,
                rx.text(
                    "Showing prompts tagged #",
                    ProjectState.tag_filter,
                    " (reordering is off while filtered).",
                    size="1",
                    color=rx.color("gray", 11),
                    role="status",
                ),
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
    )


def structure() -> rx.Component:
    return rx.vstack(
        tag_filter(),
        rx.cond(
            ProjectState.segments.length() > 0,
            rx.vstack(rx.foreach(ProjectState.segments, segment_card), spacing="3", width="100%"),
            rx.card(
                rx.text(
                    rx.cond(
                        CAN_EDIT,
                        "This project is empty. Add a segment (for example “System”), then "
                        "add prompts to it.",
                        "This project has no segments yet.",
                    ),
                    color=rx.color("gray", 11),
                ),
                width="100%",
                id="project-empty",
            ),
        ),
        rx.cond(CAN_EDIT, add_segment_form()),
        spacing="4",
        width="100%",
        id="project-structure",
    )


def composed() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                "The whole project in order: every prompt's current text, separated by a blank line.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.spacer(),
            copy_button(ProjectState.composed, id="copy-composed"),
            width="100%",
            align="center",
        ),
        rx.cond(
            ProjectState.composed != "",
            rx.el.pre(
                ProjectState.composed,
                id="composed-text",
                white_space="pre-wrap",
                font_family="var(--code-font-family, monospace)",
                font_size="0.875rem",
                padding="1rem",
                border_radius="8px",
                background=rx.color("gray", 2),
                border=f"1px solid {rx.color('gray', 4)}",
                width="100%",
                margin="0",
            ),
            rx.text(
                "Nothing to show yet: the prompts are empty.",
                color=rx.color("gray", 10),
                id="composed-empty",
            ),
        ),
        spacing="3",
        width="100%",
    )


# --------------------------------------------------------------------------- dialogs
def form_error() -> rx.Component:
    return error_callout(ProjectState.form_error)


def name_dialog(dialog: str, title, submit: str, on_submit, default) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.form(
                rx.vstack(
                    rx.input(
                        name="name",
                        default_value=default,
                        max_length=100,
                        required=True,
                        auto_focus=True,
                        id="dialog-name",
                        aria_label="Name",
                        width="100%",
                    ),
                    form_error(),
                    limit_callout(),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(submit, type="submit", id="dialog-submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
        ),
        open=ProjectState.dialog == dialog,
        on_open_change=ProjectState.set_dialog_open,
    )


def delete_dialog() -> rx.Component:
    return confirm_delete_dialog(
        title=rx.fragment("Delete ", ProjectState.target_kind, "?"),
        description=rx.alert_dialog.description(
            "“",
            ProjectState.target_name,
            rx.cond(
                ProjectState.target_kind == "segment",
                "” and every prompt in it will be deleted. This cannot be undone.",
                "” with its versions and validators will be deleted. This cannot be undone.",
            ),
        ),
        confirm_label="Delete",
        on_confirm=ProjectState.confirm_delete,
        is_open=ProjectState.dialog == "delete",
        on_open_change=ProjectState.set_dialog_open,
        error=ProjectState.form_error,
    )


def not_found_view() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Project not found", size="7", as_="h1"),
            rx.text(
                "It does not exist, it was deleted, or it is private.",
                color=rx.color("gray", 11),
            ),
            rx.hstack(
                rx.link(rx.button("Your dashboard"), href=routes.DASHBOARD),
                rx.link(rx.button("Explore public projects", variant="soft"), href=routes.EXPLORE),
            ),
            align="center",
            spacing="4",
            id="project-not-found",
        ),
        min_height="40vh",
    )


@template(
    route=routes.PROJECT,
    title="Project · PromptRepo",
    on_load=[ProjectState.load, MembersState.close_team],
)
def project_page() -> rx.Component:
    return rx.cond(
        ProjectState.loaded,
        rx.cond(
            ProjectState.not_found,
            not_found_view(),
            rx.vstack(
                header(),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger(
                            "Segments and prompts", value="structure", id="tab-structure"
                        ),
                        rx.tabs.trigger("Composed", value="composed", id="tab-composed"),
                    ),
                    rx.tabs.content(structure(), value="structure", padding_top="1rem"),
                    rx.tabs.content(composed(), value="composed", padding_top="1rem"),
                    value=ProjectState.tab,
                    on_change=ProjectState.set_tab,
                    width="100%",
                ),
                name_dialog(
                    "rename",
                    rx.cond(
                        ProjectState.target_kind == "segment", "Rename segment", "Rename prompt"
                    ),
                    "Rename",
                    ProjectState.rename,
                    ProjectState.target_name,
                ),
                name_dialog(
                    "add_prompt",
                    "New prompt in " + ProjectState.target_name,
                    "Add prompt",
                    ProjectState.add_prompt,
                    "",
                ),
                delete_dialog(),
                team_dialog(),
                spacing="5",
                width="100%",
            ),
        ),
        rx.center(rx.spinner(size="3"), padding="3rem", width="100%"),
    )
