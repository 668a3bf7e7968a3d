"""The command palette's dialog and the navbar button that opens it (state/palette.py).

Accessible as a combobox in a dialog: the dialog is labelled by its title, the search box
has a linked label, `role=combobox` with `aria-controls` naming the listbox and
`aria-activedescendant` naming the highlighted option; each option has `aria-selected`.
"""

from __future__ import annotations

import reflex as rx

from promptrepo.state.palette import PaletteItem, PaletteState

LISTBOX_ID = "palette-listbox"


def palette_button() -> rx.Component:
    return rx.icon_button(
        rx.icon("search", size=16, aria_hidden="true"),
        on_click=PaletteState.open_palette,
        variant="ghost",
        color_scheme="gray",
        aria_label="Jump to a project or prompt (Ctrl+K)",
        title="Jump to… (Ctrl+K / ⌘K)",
        id="palette-open",
    )


def palette_option(item: PaletteItem, index: rx.Var[int]) -> rx.Component:
    selected = index == PaletteState.palette_active
    return rx.el.li(
        rx.hstack(
            # Two static icons, not rx.icon(<a var>): an icon named by a var compiles to
            # lucide's DynamicIcon, whose map of every icon (~250 kB of JavaScript) then
            # loaded on every page, the palette being in the shared layout.
            rx.cond(
                item.kind == "prompt",
                rx.icon("file-text", size=16, aria_hidden="true"),
                rx.icon("folder", size=16, aria_hidden="true"),
            ),
            rx.vstack(
                rx.text(item.title, weight="medium", size="2", class_name="palette-title"),
                rx.text(item.detail, size="1", color=rx.color("gray", 11)),
                spacing="0",
                min_width="0",
            ),
            align="center",
            spacing="3",
        ),
        id=item.dom_id,
        role="option",
        aria_selected=rx.cond(selected, "true", "false"),
        on_click=PaletteState.choose(index),
        class_name="palette-option",
        custom_attrs={"data-kind": item.kind, "data-url": item.url},
        style={
            "padding": "0.5rem 0.75rem",
            "border_radius": "6px",
            "cursor": "pointer",
            "background": rx.cond(selected, rx.color("accent", 4), "transparent"),
        },
    )


def command_palette() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Jump to", size="3"),
            rx.dialog.description(
                "Type to find a project or prompt; ↑ ↓ to choose, Enter to open, Esc to close.",
                size="1",
                color=rx.color("gray", 11),
            ),
            rx.el.label(
                "Search projects and prompts", html_for="palette-input", class_name="sr-only"
            ),
            rx.input(
                value=PaletteState.palette_query,
                on_change=PaletteState.set_palette_query.debounce(150),
                on_key_down=PaletteState.palette_key,
                id="palette-input",
                placeholder="A name, or words in a prompt",
                auto_focus=True,
                auto_complete="off",
                role="combobox",
                aria_expanded="true",
                aria_controls=LISTBOX_ID,
                aria_autocomplete="list",
                aria_activedescendant=PaletteState.palette_active_id,
                margin_top="0.75rem",
                size="3",
            ),
            rx.cond(
                PaletteState.palette_error != "",
                rx.text(
                    PaletteState.palette_error, color=rx.color("red", 11), size="2", role="alert"
                ),
            ),
            rx.el.ul(
                rx.foreach(PaletteState.palette_items, palette_option),
                id=LISTBOX_ID,
                role="listbox",
                aria_label="Projects and prompts",
                style={"list_style": "none", "padding": "0", "margin": "0.75rem 0 0 0"},
            ),
            rx.cond(
                (PaletteState.palette_items.length() == 0) & (PaletteState.palette_error == ""),
                rx.text(
                    rx.cond(
                        PaletteState.palette_query != "",
                        "Nothing matches “" + PaletteState.palette_query + "”.",
                        "No projects yet: create one on the dashboard.",
                    ),
                    size="2",
                    color=rx.color("gray", 11),
                    id="palette-empty",
                    role="status",
                ),
            ),
            id="command-palette",
            max_width="36rem",
        ),
        open=PaletteState.palette_open,
        on_open_change=PaletteState.set_palette_open,
    )
