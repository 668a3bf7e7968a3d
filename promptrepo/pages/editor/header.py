"""The editor's header: back link, save status, name, Playground, Use in code, Save version,
and the conflict callout and dialog when the draft was saved elsewhere."""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.forms import copy_button
from promptrepo.pages.editor.diff import diff_view
from promptrepo.state.editor import (
    DraftState,
    EditorState,
    HistoryState,
    PresenceState,
    TagsState,
)
from promptrepo.state.editor.presence import PresentPerson


def save_status() -> rx.Component:
    """The draft's save state. The code editor sends its text to the state once typing
    pauses; until then it marks the page (`html[data-unsent-edits]`, components/code_editor.jsx)
    and "saved" reads "Unsaved changes…" (assets/styles.css)."""

    def badge(text: str, color: str, icon: str, **props) -> rx.Component:
        return rx.badge(rx.icon(icon, size=12), text, color_scheme=color, variant="soft", **props)

    def unsaved(**props) -> rx.Component:
        return badge("Unsaved changes…", "gray", "pencil", **props)

    state = rx.cond(EditorState.can_write, DraftState.save_status, "readonly")
    return rx.box(
        rx.match(
            state,
            (
                "saved",
                rx.fragment(
                    badge("All changes saved", "green", "check", class_name="save-clean"),
                    unsaved(class_name="save-unsent"),
                ),
            ),
            ("unsaved", unsaved()),
            ("saving", badge("Saving…", "blue", "loader")),
            ("error", badge("Not saved", "red", "circle-alert")),
            ("conflict", badge("Conflict", "orange", "git-compare")),
            badge("Read only", "gray", "lock"),
        ),
        id="save-status",
        custom_attrs={"data-state": state},
        role="status",
        aria_live="polite",
    )


def save_version_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("git-commit-horizontal", size=16),
                "Save version",
                id="save-version-button",
                disabled=~EditorState.can_write,
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Save a version"),
            rx.dialog.description(
                "Snapshots the draft's text, variables and validators as the next version.",
                size="2",
            ),
            rx.vstack(
                rx.el.label("Commit message", html_for="commit-message", font_weight="500"),
                rx.text_area(
                    value=HistoryState.commit_message,
                    on_change=HistoryState.set_commit_message,
                    id="commit-message",
                    placeholder="What changed and why",
                    rows="3",
                    width="100%",
                    max_length=500,
                ),
                rx.cond(
                    HistoryState.version_error,
                    rx.callout(
                        HistoryState.version_error,
                        icon="circle-alert",
                        color_scheme="red",
                        id="version-error",
                        role="alert",
                        width="100%",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Save version",
                        on_click=HistoryState.save_version,
                        id="confirm-save-version",
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="1rem",
            ),
        ),
        open=HistoryState.version_dialog_open,
        on_open_change=HistoryState.set_version_dialog_open,
    )


def _present_person(person: PresentPerson) -> rx.Component:
    return rx.hstack(
        rx.avatar(fallback=person.initials, size="1", radius="full", color_scheme="indigo"),
        rx.text(person.name, size="1", class_name="present-name"),
        spacing="1",
        align="center",
        class_name="present-person",
        custom_attrs={"data-user": person.user_id},
        title=person.name,
    )


def presence_bar() -> rx.Component:
    """Who else has this prompt open right now (nothing when nobody else does)."""
    return rx.cond(
        PresenceState.present_others,
        rx.hstack(
            rx.icon("eye", size=14, aria_hidden="true"),
            rx.foreach(PresenceState.present_others, _present_person),
            spacing="2",
            align="center",
            id="presence",
            role="status",
            aria_label=PresenceState.present_summary,
            title=PresenceState.present_summary,
        ),
    )


def header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.icon("arrow-left", size=14, flex_shrink="0"),
                    # a long project name is cut with an ellipsis, not pushed off a phone
                    rx.el.span(
                        EditorState.project_name,
                        overflow="hidden",
                        text_overflow="ellipsis",
                        white_space="nowrap",
                    ),
                    align="center",
                    min_width="0",
                ),
                href=EditorState.project_url,
                size="2",
                id="back-to-project",
                min_width="0",
                title=EditorState.project_name,
            ),
            rx.spacer(),
            presence_bar(),
            save_status(),
            rx.cond(
                EditorState.can_write,
                rx.button(
                    "Save",
                    size="1",
                    variant="ghost",
                    on_click=DraftState.save_now,
                    # enabled while typing: the page may have edits the state has not had yet
                    disabled=(DraftState.save_status == "saving")
                    | (DraftState.save_status == "conflict"),
                    title="Save the draft now (Ctrl+S); it also saves by itself as you pause",
                    id="save-now",
                ),
            ),
            width="100%",
            align="center",
        ),
        rx.hstack(
            rx.vstack(
                rx.input(
                    value=DraftState.name,
                    on_change=DraftState.set_name,
                    id="prompt-name",
                    aria_label="Prompt name",
                    size="3",
                    max_length=100,
                    read_only=~EditorState.can_write,
                    width="100%",
                    font_weight="600",
                ),
                rx.cond(
                    DraftState.name_error,
                    rx.text(
                        DraftState.name_error, color=rx.color("red", 11), size="1", role="alert"
                    ),
                ),
                tag_bar(),
                spacing="1",
                flex="1",
                min_width="12rem",
            ),
            playground_link(),
            use_in_code(),
            save_version_dialog(),
            width="100%",
            align="start",
            wrap="wrap",
        ),
        rx.cond(
            DraftState.save_status == "error",
            rx.callout(
                rx.hstack(
                    rx.text(DraftState.save_message),
                    rx.button("Retry", size="1", on_click=DraftState.save_now, id="retry-save"),
                    align="center",
                    wrap="wrap",
                ),
                icon="circle-alert",
                color_scheme="red",
                id="save-error",
                width="100%",
            ),
        ),
        rx.cond(DraftState.save_status == "conflict", conflict_callout()),
        spacing="2",
        width="100%",
    )


def tag_chip(tag: rx.Var) -> rx.Component:
    return rx.badge(
        tag,
        rx.cond(
            EditorState.can_write,
            rx.el.button(
                rx.icon("x", size=12, aria_hidden="true"),
                on_click=TagsState.remove_tag(tag),
                aria_label="Remove tag " + tag,
                title="Remove tag " + tag,
                type="button",
                class_name="tag-remove",
                style={
                    "background": "none",
                    "border": "none",
                    "padding": "0",
                    "cursor": "pointer",
                    "display": "inline-flex",
                    "color": "inherit",
                },
            ),
        ),
        variant="soft",
        radius="full",
        size="2",
        custom_attrs={"data-tag": tag},
    )


def tag_bar() -> rx.Component:
    """The prompt's tags: each with a remove button (Tab, then Enter or Space), and a field
    that adds what is typed on Enter. Read-only viewers see the tags alone."""
    return rx.vstack(
        rx.hstack(
            rx.foreach(TagsState.prompt_tags, tag_chip),
            rx.cond(
                EditorState.can_write,
                rx.form(
                    rx.hstack(
                        rx.el.label("Add tag", html_for="tag-input", class_name="sr-only"),
                        rx.input(
                            value=TagsState.tag_draft,
                            on_change=TagsState.set_tag_draft,
                            id="tag-input",
                            name="tag",  # the state holds the text (tag_draft)
                            placeholder="Add tag…",
                            size="1",
                            max_length=200,
                            width="9rem",
                        ),
                        spacing="1",
                        align="center",
                    ),
                    on_submit=TagsState.add_tag,
                    reset_on_submit=False,
                    id="tag-form",
                ),
            ),
            spacing="1",
            align="center",
            wrap="wrap",
            id="prompt-tags",
            role="group",
            aria_label="Tags",
        ),
        rx.cond(
            TagsState.tag_error,
            rx.text(
                TagsState.tag_error,
                color=rx.color("red", 11),
                size="1",
                role="alert",
                id="tag-error",
            ),
        ),
        spacing="1",
        width="100%",
    )


def playground_link() -> rx.Component:
    """A link styled as a button (a real <a>, so Tab and Enter reach it) to this prompt's
    playground, where it runs against a model."""
    return rx.button(
        rx.link(
            rx.hstack(rx.icon("flask-conical", size=16), "Playground", align="center"),
            href=EditorState.playground_url,
            id="open-playground",
            underline="none",
            color="inherit",
        ),
        as_child=True,
        size="2",
        variant="soft",
        title="Run this prompt against a model",
    )


def use_in_code() -> rx.Component:
    """A popover with the request a program makes to fetch this prompt's published version."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.icon("code", size=16), "Use in code", size="2", variant="soft", id="use-in-code"
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.text("Fetch the published version", weight="medium", size="2"),
                rx.code_block(
                    EditorState.api_snippet,
                    language="bash",
                    id="api-snippet",
                    wrap_long_lines=True,
                    # the URL has no spaces: on a phone it breaks anywhere rather than run out
                    overflow_wrap="anywhere",
                    width="100%",
                ),
                rx.text(
                    "Add ?label=staging or ?version=3 for another one; POST …/render with "
                    '{"variables": {…}} returns the text filled in. ',
                    rx.link("Create an API key", href=routes.SETTINGS),
                    " in Settings, or read the ",
                    rx.link("API docs", href=routes.API_DOCS, is_external=True),
                    ".",
                    size="1",
                    color=rx.color("gray", 11),
                ),
                copy_button(EditorState.api_snippet, id="copy-api-snippet", size="1"),
                spacing="2",
                align="start",
            ),
            # never wider than the window (a phone's is 375 px): it ran 160 px past the edge
            max_width="min(34rem, calc(100vw - 2rem))",
        ),
    )


def conflict_callout() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text(DraftState.save_message),
            rx.hstack(
                rx.button(
                    "Compare",
                    size="1",
                    variant="soft",
                    on_click=DraftState.compare_conflict,
                    id="conflict-compare",
                ),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button(
                            "Reload theirs",
                            size="1",
                            variant="soft",
                            color_scheme="gray",
                            id="conflict-reload",
                        )
                    ),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title("Discard your changes?"),
                        rx.alert_dialog.description(
                            "This loads the draft saved elsewhere and throws away what you "
                            "typed in this tab since your last save."
                        ),
                        rx.hstack(
                            rx.alert_dialog.cancel(
                                rx.button("Keep mine", variant="soft", color_scheme="gray")
                            ),
                            rx.alert_dialog.action(
                                rx.button(
                                    "Discard mine and reload",
                                    color_scheme="red",
                                    on_click=DraftState.reload_server_draft,
                                    id="confirm-conflict-reload",
                                )
                            ),
                            justify="end",
                            margin_top="1rem",
                        ),
                    ),
                ),
                rx.button(
                    "Overwrite with mine",
                    size="1",
                    color_scheme="orange",
                    on_click=DraftState.overwrite_server_draft,
                    id="conflict-overwrite",
                ),
                wrap="wrap",
            ),
            spacing="2",
        ),
        icon="git-compare",
        color_scheme="orange",
        id="conflict-callout",
        width="100%",
    )


def conflict_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Your text vs. the draft saved elsewhere"),
            rx.dialog.description(
                "Lines marked + are yours, − are in the other draft. Nothing has been overwritten.",
                size="2",
            ),
            diff_view(
                DraftState.conflict_title,
                DraftState.conflict_extra,
                DraftState.conflict_rows,
                "conflict-diff",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                rx.button(
                    "Overwrite with mine",
                    color_scheme="orange",
                    on_click=DraftState.overwrite_server_draft,
                ),
                justify="end",
                margin_top="1rem",
            ),
            max_width="900px",
        ),
        open=DraftState.conflict_open,
        on_open_change=DraftState.set_conflict_open,
    )
