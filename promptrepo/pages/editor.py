"""The prompt editor: /projects/[project_id]/prompts/[prompt_id]."""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.forms import copy_button
from promptrepo.components.template import template
from promptrepo.services.variables import VARIABLE_TYPES
from promptrepo.state.base import AppState
from promptrepo.state.editor import (
    AUTOSAVE_DELAY_SECONDS,
    DiffRow,
    EditorState,
    ValidatorRow,
    VariableRow,
    VersionRow,
)

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"

# Warn before leaving with unsaved text (the status element carries the state).
UNLOAD_GUARD = """
if (!window.__promptEditorGuard) {
  window.__promptEditorGuard = true;
  // Ctrl/Cmd+S saves the draft now instead of saving the web page.
  window.addEventListener('keydown', function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      var button = document.getElementById('save-now');
      if (button) {
        event.preventDefault();
        button.click();
      }
    }
  });
  window.addEventListener('beforeunload', function (event) {
    var el = document.getElementById('save-status');
    var state = el && el.getAttribute('data-state');
    if (state && state !== 'saved' && state !== 'readonly') {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  // A safety net in this browser: the text typed is kept in localStorage until the server
  // has saved it, and offered back if the tab was closed or the server lost it first.
  var PREFIX = 'promptrepo:unsaved:';
  var promptKey = function () {
    var m = window.location.pathname.match(/^\/projects\/[^/]+\/prompts\/([^/]+)/);
    return m ? PREFIX + m[1] : null;
  };
  document.addEventListener('input', function (event) {
    var area = event.target;
    var key = promptKey();
    if (area && area.id === 'prompt-content' && !area.readOnly && key) {
      try {
        localStorage.setItem(key, JSON.stringify({text: area.value, at: Date.now()}));
      } catch (e) { /* storage full or disabled: the server copy still applies */ }
    }
  }, true);
  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      if (m.target.id === 'save-status' && m.oldValue && m.oldValue !== 'saved' &&
          m.target.getAttribute('data-state') === 'saved') {
        var key = promptKey();
        if (key) { localStorage.removeItem(key); }
      }
    });
  }).observe(document.documentElement, {
    attributes: true, attributeFilter: ['data-state'], attributeOldValue: true, subtree: true
  });
  var offerBackup = function (area, key, kept) {
    var box = document.createElement('div');
    box.id = 'local-backup';
    box.setAttribute('role', 'alert');
    box.style.cssText = 'border:1px solid var(--amber-7);background:var(--amber-3);' +
      'color:var(--amber-12);border-radius:6px;padding:0.5rem 0.75rem;font-size:0.85rem;' +
      'display:flex;gap:0.75rem;align-items:center;flex-wrap:wrap;width:100%';
    var when = new Date(kept.at || Date.now()).toLocaleString();
    var text = document.createElement('span');
    text.textContent = 'This browser kept text you typed here that was never saved (' +
      kept.text.length + ' characters, ' + when + ').';
    var restore = document.createElement('button');
    restore.id = 'restore-local';
    restore.textContent = 'Restore it';
    var discard = document.createElement('button');
    discard.id = 'discard-local';
    discard.textContent = 'Discard';
    [restore, discard].forEach(function (b) {
      b.type = 'button';
      b.style.cssText = 'border:1px solid currentColor;border-radius:4px;padding:2px 8px;' +
        'background:transparent;color:inherit;cursor:pointer';
    });
    restore.addEventListener('click', function () {
      var setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
      setter.call(area, kept.text);
      area.dispatchEvent(new Event('input', {bubbles: true}));
      box.remove();
      area.focus();
    });
    discard.addEventListener('click', function () {
      localStorage.removeItem(key);
      box.remove();
    });
    box.appendChild(text);
    box.appendChild(restore);
    box.appendChild(discard);
    area.parentNode.insertBefore(box, area);
  };
  window.setInterval(function () {
    var area = document.getElementById('prompt-content');
    var key = promptKey();
    if (!area || !key || area.readOnly || area.getAttribute('data-backup-checked')) { return; }
    area.setAttribute('data-backup-checked', '1');
    var old = document.getElementById('local-backup');
    if (old) { old.remove(); }
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { kept = null; }
    if (!kept || typeof kept.text !== 'string' || kept.text === area.value) {
      localStorage.removeItem(key);
      return;
    }
    offerBackup(area, key, kept);
  }, 400);
}
"""


# ---------------------------------------------------------------------------- header
def save_status() -> rx.Component:
    def badge(text: str, color: str, icon: str) -> rx.Component:
        return rx.badge(rx.icon(icon, size=12), text, color_scheme=color, variant="soft")

    state = rx.cond(EditorState.can_write, EditorState.save_status, "readonly")
    return rx.box(
        rx.match(
            state,
            ("saved", badge("All changes saved", "green", "check")),
            ("unsaved", badge("Unsaved changes…", "gray", "pencil")),
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
                    value=EditorState.commit_message,
                    on_change=EditorState.set_commit_message,
                    id="commit-message",
                    placeholder="What changed and why",
                    rows="3",
                    width="100%",
                    max_length=500,
                ),
                rx.cond(
                    EditorState.version_error,
                    rx.callout(
                        EditorState.version_error,
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
                        "Save version", on_click=EditorState.save_version, id="confirm-save-version"
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="1rem",
            ),
        ),
        open=EditorState.version_dialog_open,
        on_open_change=EditorState.set_version_dialog_open,
    )


def header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), EditorState.project_name, align="center"),
                href=EditorState.project_url,
                size="2",
                id="back-to-project",
            ),
            rx.spacer(),
            save_status(),
            rx.cond(
                EditorState.can_write,
                rx.button(
                    "Save",
                    size="1",
                    variant="ghost",
                    on_click=EditorState.save_now,
                    disabled=(EditorState.save_status != "unsaved")
                    & (EditorState.save_status != "error"),
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
                    value=EditorState.name,
                    on_change=EditorState.set_name,
                    id="prompt-name",
                    aria_label="Prompt name",
                    size="3",
                    max_length=100,
                    read_only=~EditorState.can_write,
                    width="100%",
                    font_weight="600",
                ),
                rx.cond(
                    EditorState.name_error,
                    rx.text(
                        EditorState.name_error, color=rx.color("red", 11), size="1", role="alert"
                    ),
                ),
                spacing="1",
                flex="1",
                min_width="12rem",
            ),
            use_in_code(),
            save_version_dialog(),
            width="100%",
            align="start",
            wrap="wrap",
        ),
        rx.cond(
            EditorState.save_status == "error",
            rx.callout(
                rx.hstack(
                    rx.text(EditorState.save_message),
                    rx.button("Retry", size="1", on_click=EditorState.save_now, id="retry-save"),
                    align="center",
                    wrap="wrap",
                ),
                icon="circle-alert",
                color_scheme="red",
                id="save-error",
                width="100%",
            ),
        ),
        rx.cond(EditorState.save_status == "conflict", conflict_callout()),
        spacing="2",
        width="100%",
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
            max_width="34rem",
        ),
    )


def conflict_callout() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text(EditorState.save_message),
            rx.hstack(
                rx.button(
                    "Compare",
                    size="1",
                    variant="soft",
                    on_click=EditorState.compare_conflict,
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
                                    on_click=EditorState.reload_server_draft,
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
                    on_click=EditorState.overwrite_server_draft,
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


# ---------------------------------------------------------------------------- editor column
def badge_for(row: ValidatorRow) -> rx.Component:
    # A native title (not a tooltip portal) so the message is in the DOM and read out.
    return rx.badge(
        rx.cond(row.passed, rx.icon("check", size=12), rx.icon("x", size=12)),
        row.type,
        color_scheme=rx.cond(row.skipped, "gray", rx.cond(row.passed, "green", "red")),
        variant="soft",
        title=row.message,
        aria_label=row.type + ": " + row.message,
        custom_attrs={
            "data-passed": rx.cond(row.skipped, "skipped", rx.cond(row.passed, "true", "false"))
        },
        class_name="validator-badge",
    )


def counted(count: rx.Var, one: str, many: str) -> rx.Var:
    """`1 line`, `2 lines`: the count and the noun in the right number."""
    return count.to_string() + rx.cond(count == 1, f" {one}", f" {many}")


def stats_line() -> rx.Component:
    return rx.hstack(
        rx.text(counted(EditorState.chars, "character", "characters")),
        rx.text("·"),
        rx.text(counted(EditorState.words, "word", "words")),
        rx.text("·"),
        rx.text(counted(EditorState.lines, "line", "lines")),
        rx.text("·"),
        rx.text(
            "≈ ",
            counted(EditorState.tokens, "token", "tokens"),
            " (approximate: characters ÷ 4)",
        ),
        size="1",
        color=rx.color("gray", 11),
        wrap="wrap",
        spacing="2",
        id="preview-stats",
    )


def editor_column() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            "Template",
            rx.text(
                " — Jinja2: {{ variable }}, {% if … %}…{% endif %}, {% for … %}",
                as_="span",
                color=rx.color("gray", 11),
                weight="regular",
            ),
            html_for="prompt-content",
            font_weight="500",
            font_size="0.9rem",
        ),
        rx.text_area(
            default_value=EditorState.content_initial,
            key=EditorState.editor_key.to_string(),
            on_change=EditorState.edit_content,
            id="prompt-content",
            read_only=~EditorState.can_write,
            spell_check=False,
            width="100%",
            min_height="60vh",
            resize="vertical",
            font_family=MONO,
            font_size="0.85rem",
            line_height="1.5",
            placeholder="Write your prompt. Use {{ name }} for variables.",
            aria_describedby="syntax-error",
        ),
        rx.cond(
            EditorState.syntax_error,
            rx.callout(
                rx.vstack(
                    rx.text(
                        "Line ",
                        EditorState.syntax_line.to_string(),
                        ": ",
                        EditorState.syntax_error,
                        weight="medium",
                    ),
                    rx.code(EditorState.syntax_line_text, font_family=MONO, white_space="pre-wrap"),
                    spacing="1",
                ),
                icon="triangle-alert",
                color_scheme="red",
                id="syntax-error",
                role="alert",
                width="100%",
            ),
        ),
        rx.hstack(
            rx.text("Validators:", size="1", color=rx.color("gray", 11)),
            rx.cond(
                EditorState.validator_rows.length() > 0,
                rx.foreach(EditorState.validator_rows, badge_for),
                rx.text("none yet", size="1", color=rx.color("gray", 11)),
            ),
            wrap="wrap",
            spacing="2",
            align="center",
            id="validator-badges",
        ),
        spacing="2",
        width="100%",
        flex="3",
        min_width="min(100%, 28rem)",
    )


# ---------------------------------------------------------------------------- preview tab
def example_input(row: VariableRow) -> rx.Component:
    return rx.cond(
        row.used,
        rx.hstack(
            rx.el.label(
                rx.code(row.name),
                html_for=f"example-{row.name}",
                min_width="7rem",
            ),
            rx.input(
                value=row.example,
                on_change=lambda v: EditorState.set_var_field(row.name, "example", v),
                id=f"example-{row.name}",
                placeholder=rx.cond(row.default, "default: " + row.default, "example value"),
                size="1",
                flex="1",
                read_only=~EditorState.can_write,
            ),
            width="100%",
            align="center",
        ),
    )


def preview_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            EditorState.variable_rows.length() > 0,
            rx.vstack(
                rx.text(
                    "Example values (used by the preview and checked when publishing)",
                    size="1",
                    color=rx.color("gray", 11),
                ),
                rx.foreach(EditorState.variable_rows, example_input),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            EditorState.preview_error,
            rx.callout(
                EditorState.preview_error,
                icon="circle-alert",
                color_scheme="red",
                id="preview-error",
                role="alert",
                width="100%",
            ),
        ),
        rx.cond(
            EditorState.preview_note,
            rx.text(
                EditorState.preview_note, size="1", color=rx.color("amber", 11), id="preview-note"
            ),
        ),
        rx.el.pre(
            EditorState.preview_text,
            id="preview-text",
            white_space="pre-wrap",
            word_break="break-word",
            font_family=MONO,
            font_size="0.8rem",
            padding="0.75rem",
            border_radius="6px",
            background=rx.color("gray", 2),
            border=f"1px solid {rx.color('gray', 5)}",
            max_height="55vh",
            overflow_y="auto",
            width="100%",
            margin="0",
            opacity=rx.cond(EditorState.preview_error, "0.5", "1"),
        ),
        stats_line(),
        spacing="2",
        width="100%",
    )


# ---------------------------------------------------------------------------- variables tab
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
                        on_click=EditorState.remove_variable(row.name),
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
                        on_change=lambda v: EditorState.set_var_field(row.name, "type", v),
                        size="1",
                        disabled=~EditorState.can_write,
                        id=f"var-type-{row.name}",
                    ),
                ),
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(
                            checked=row.required,
                            on_change=lambda c: EditorState.set_var_required(row.name, c),
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
                        on_change=lambda v: EditorState.set_var_field(row.name, "default", v),
                        size="1",
                        id=f"var-default-{row.name}",
                        read_only=~EditorState.can_write,
                    ),
                ),
                labelled(
                    "Example",
                    rx.input(
                        value=row.example,
                        on_change=lambda v: EditorState.set_var_field(row.name, "example", v),
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
                        on_change=lambda v: EditorState.set_var_field(row.name, "options", v),
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
                    on_change=lambda v: EditorState.set_var_field(row.name, "description", v),
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
            EditorState.variable_rows.length() > 0,
            rx.foreach(EditorState.variable_rows, variable_card),
            rx.text(
                "No variables yet. Type {{ name }} in the template.", size="2", id="no-variables"
            ),
        ),
        spacing="2",
        width="100%",
        id="variables-panel",
    )


# ---------------------------------------------------------------------------- validators tab
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
                on_change=lambda c: EditorState.set_vform_field(field, c),
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
        on_change=lambda v: EditorState.set_vform_field(field, v),
        id=f"vform-{field}",
        width="100%",
        **kw,
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(EditorState.vform_id, "Edit validator", "Add a validator")),
            rx.dialog.description(
                "Validators run on the rendered text. A failing one blocks publishing.", size="2"
            ),
            rx.vstack(
                vfield(
                    "Type",
                    rx.select(
                        ["contains", "regex", "length", "custom"],
                        value=EditorState.vform_type,
                        on_change=lambda v: EditorState.set_vform_field("type", v),
                        id="vform-type",
                    ),
                ),
                rx.match(
                    EditorState.vform_type,
                    (
                        "regex",
                        rx.vstack(
                            vfield(
                                "Pattern",
                                text_input("pattern", EditorState.vform_pattern, font_family=MONO),
                            ),
                            vcheck(
                                "The text must match (untick: must not match)",
                                EditorState.vform_must_match,
                                "must_match",
                            ),
                            vcheck("Ignore case", EditorState.vform_ignore_case, "ignore_case"),
                            width="100%",
                        ),
                    ),
                    (
                        "length",
                        rx.vstack(
                            rx.hstack(
                                vfield(
                                    "Minimum",
                                    text_input("min", EditorState.vform_min, type="number", min=0),
                                ),
                                vfield(
                                    "Maximum",
                                    text_input("max", EditorState.vform_max, type="number", min=0),
                                ),
                                width="100%",
                            ),
                            vfield(
                                "Unit",
                                rx.select(
                                    ["chars", "words"],
                                    value=EditorState.vform_unit,
                                    on_change=lambda v: EditorState.set_vform_field("unit", v),
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
                                    value=EditorState.vform_text,
                                    on_change=lambda v: EditorState.set_vform_field("text", v),
                                    id="vform-text",
                                    rows="3",
                                    width="100%",
                                ),
                            ),
                            vfield(
                                "Mode",
                                rx.select(
                                    ["any", "all"],
                                    value=EditorState.vform_mode,
                                    on_change=lambda v: EditorState.set_vform_field("mode", v),
                                    id="vform-mode",
                                ),
                            ),
                            vcheck(
                                "Case-insensitive",
                                EditorState.vform_case_insensitive,
                                "case_insensitive",
                            ),
                            vcheck(
                                "Must NOT contain these",
                                EditorState.vform_must_not_contain,
                                "must_not_contain",
                            ),
                            width="100%",
                        ),
                    ),
                    rx.vstack(
                        vfield(
                            "Expression (must be true)",
                            text_input(
                                "expression", EditorState.vform_expression, font_family=MONO
                            ),
                            "Jinja2 over text and the variables, e.g. text | length < 4000 and 'JSON' in text",
                        ),
                        vfield(
                            "Message when false", text_input("message", EditorState.vform_message)
                        ),
                        width="100%",
                    ),
                ),
                rx.cond(
                    EditorState.vform_error,
                    rx.callout(
                        EditorState.vform_error,
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
                        "Save validator", on_click=EditorState.save_validator, id="vform-save"
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="1rem",
            ),
        ),
        open=EditorState.vform_open,
        on_open_change=EditorState.set_vform_open,
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
                        on_click=EditorState.edit_validator(row.id),
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
                                        on_click=EditorState.delete_validator(row.id),
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
                on_click=EditorState.new_validator,
                disabled=~EditorState.can_write,
                id="add-validator",
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            EditorState.validator_rows.length() > 0,
            rx.foreach(EditorState.validator_rows, validator_card),
            rx.text("No validators yet.", size="2"),
        ),
        validator_form(),
        spacing="2",
        width="100%",
        id="validators-panel",
    )


# ---------------------------------------------------------------------------- history tab
def label_badge(label: rx.Var) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.cond(
            label == "production", "green", rx.cond(label == "staging", "blue", "gray")
        ),
        variant=rx.cond(label == "production", "solid", "soft"),
    )


def version_row(row: VersionRow) -> rx.Component:
    n = row.number
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("v", n.to_string(), weight="bold"),
                rx.foreach(row.labels, label_badge),
                rx.spacer(),
                rx.text(row.created, size="1", color=rx.color("gray", 11)),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                rx.cond(row.message, row.message, "No message"),
                " · ",
                rx.cond(row.author, row.author, "unknown author"),
                size="1",
                color=rx.color("gray", 11),
            ),
            rx.hstack(
                rx.button(
                    "View",
                    size="1",
                    variant="soft",
                    on_click=EditorState.view_version(n),
                    id=f"view-{n}",
                ),
                rx.cond(
                    n > 1,
                    rx.button(
                        "Diff with previous",
                        size="1",
                        variant="soft",
                        on_click=EditorState.compare_with_previous(n),
                        id=f"diff-prev-{n}",
                    ),
                ),
                rx.cond(
                    EditorState.can_write,
                    rx.fragment(
                        rx.cond(
                            row.is_published,
                            rx.fragment(),
                            rx.cond(
                                (EditorState.production_version > n),
                                rx.button(
                                    rx.icon("undo-2", size=12),
                                    "Roll back to this",
                                    size="1",
                                    color_scheme="orange",
                                    on_click=EditorState.rollback(n),
                                    id=f"rollback-{n}",
                                ),
                                rx.button(
                                    rx.icon("rocket", size=12),
                                    "Publish",
                                    size="1",
                                    color_scheme="green",
                                    on_click=EditorState.publish(n),
                                    id=f"publish-{n}",
                                ),
                            ),
                        ),
                        rx.alert_dialog.root(
                            rx.alert_dialog.trigger(
                                rx.button(
                                    "Restore into draft",
                                    size="1",
                                    variant="soft",
                                    color_scheme="gray",
                                    id=f"restore-{n}",
                                )
                            ),
                            rx.alert_dialog.content(
                                rx.alert_dialog.title("Restore version ", n.to_string(), "?"),
                                rx.alert_dialog.description(
                                    "The draft's text, variables and validators are replaced by "
                                    "this version's. Save the current draft as a version first if "
                                    "you want to come back to it."
                                ),
                                rx.hstack(
                                    rx.alert_dialog.cancel(
                                        rx.button("Cancel", variant="soft", color_scheme="gray")
                                    ),
                                    rx.alert_dialog.action(
                                        rx.button(
                                            "Restore",
                                            on_click=EditorState.restore_version(n),
                                            id=f"confirm-restore-{n}",
                                        )
                                    ),
                                    justify="end",
                                    margin_top="1rem",
                                ),
                            ),
                        ),
                        rx.alert_dialog.root(
                            rx.alert_dialog.trigger(
                                rx.icon_button(
                                    rx.icon("trash-2", size=12),
                                    size="1",
                                    variant="ghost",
                                    color_scheme="red",
                                    aria_label="Delete version",
                                    id=f"delete-{n}",
                                )
                            ),
                            rx.alert_dialog.content(
                                rx.alert_dialog.title("Delete version ", n.to_string(), "?"),
                                rx.alert_dialog.description(
                                    "This cannot be undone. A version that carries a label cannot be deleted."
                                ),
                                rx.hstack(
                                    rx.alert_dialog.cancel(
                                        rx.button("Cancel", variant="soft", color_scheme="gray")
                                    ),
                                    rx.alert_dialog.action(
                                        rx.button(
                                            "Delete",
                                            color_scheme="red",
                                            on_click=EditorState.delete_version(n),
                                            id=f"confirm-delete-{n}",
                                        )
                                    ),
                                    justify="end",
                                    margin_top="1rem",
                                ),
                            ),
                        ),
                    ),
                ),
                wrap="wrap",
                spacing="2",
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        size="1",
        id=f"version-{n}",
    )


def diff_line(row: DiffRow) -> rx.Component:
    return rx.cond(
        row.kind == "hunk",
        rx.el.div(row.text, color=rx.color("blue", 11), padding_y="2px", class_name="diff-hunk"),
        rx.el.div(
            rx.el.span(
                row.old,
                width="2.5rem",
                display="inline-block",
                color=rx.color("gray", 10),
                text_align="right",
                padding_right="0.5rem",
            ),
            rx.el.span(
                row.new,
                width="2.5rem",
                display="inline-block",
                color=rx.color("gray", 10),
                text_align="right",
                padding_right="0.5rem",
            ),
            rx.el.span(rx.match(row.kind, ("add", "+ "), ("remove", "− "), "  ")),
            rx.el.span(row.text),
            background=rx.match(
                row.kind,
                ("add", rx.color("green", 3)),
                ("remove", rx.color("red", 3)),
                "transparent",
            ),
            color=rx.match(
                row.kind, ("add", rx.color("green", 12)), ("remove", rx.color("red", 12)), "inherit"
            ),
            white_space="pre-wrap",
            class_name=rx.match(
                row.kind, ("add", "diff-add"), ("remove", "diff-remove"), "diff-context"
            ),
        ),
    )


def diff_view(id: str = "diff-view") -> rx.Component:
    return rx.cond(
        EditorState.diff_title,
        rx.vstack(
            rx.text(EditorState.diff_title, weight="medium", size="2", id=f"{id}-title"),
            rx.foreach(
                EditorState.diff_extra, lambda t: rx.text(t, size="1", color=rx.color("gray", 11))
            ),
            rx.box(
                rx.foreach(EditorState.diff_rows, diff_line),
                font_family=MONO,
                font_size="0.78rem",
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="6px",
                padding="0.5rem",
                max_height="45vh",
                overflow="auto",
                width="100%",
            ),
            id=id,
            width="100%",
            spacing="1",
        ),
    )


def history_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            EditorState.publish_errors.length() > 0,
            rx.callout(
                rx.vstack(
                    rx.text(EditorState.publish_error_title, weight="medium"),
                    rx.el.ul(
                        rx.foreach(EditorState.publish_errors, lambda e: rx.el.li(e)),
                        padding_left="1.2rem",
                        margin="0",
                    ),
                    rx.button(
                        "Dismiss",
                        size="1",
                        variant="ghost",
                        on_click=EditorState.dismiss_publish_errors,
                    ),
                    spacing="1",
                ),
                icon="shield-alert",
                color_scheme="red",
                id="publish-errors",
                role="alert",
                width="100%",
            ),
        ),
        rx.cond(
            EditorState.history_message,
            rx.text(
                EditorState.history_message,
                size="1",
                color=rx.color("green", 11),
                id="history-message",
            ),
        ),
        rx.hstack(
            rx.text("Published: ", size="2"),
            rx.cond(
                EditorState.production_version > 0,
                rx.badge(
                    "v",
                    EditorState.production_version.to_string(),
                    color_scheme="green",
                    id="production-version",
                ),
                rx.badge("nothing yet", color_scheme="gray", id="production-version"),
            ),
            align="center",
        ),
        rx.cond(
            EditorState.version_rows.length() > 0,
            rx.vstack(
                rx.foreach(EditorState.version_rows, version_row),
                rx.hstack(
                    rx.button(
                        "Newer",
                        size="1",
                        variant="soft",
                        disabled=~EditorState.has_newer_versions,
                        on_click=EditorState.versions_page(-1),
                    ),
                    rx.text(EditorState.versions_page_label, size="1"),
                    rx.button(
                        "Older",
                        size="1",
                        variant="soft",
                        disabled=~EditorState.has_older_versions,
                        on_click=EditorState.versions_page(1),
                    ),
                    align="center",
                ),
                spacing="2",
                width="100%",
                id="versions-list",
            ),
            rx.text(
                "No versions yet. Use “Save version” to snapshot the draft.",
                size="2",
                id="no-versions",
            ),
        ),
        rx.cond(
            EditorState.version_rows.length() > 0,
            rx.vstack(
                rx.heading("Compare versions", size="2", as_="h3"),
                rx.hstack(
                    rx.select(
                        EditorState.version_numbers,
                        value=EditorState.diff_from,
                        on_change=EditorState.set_diff_from,
                        size="1",
                        id="diff-from",
                    ),
                    rx.text("→", size="2"),
                    rx.select(
                        EditorState.version_numbers,
                        value=EditorState.diff_to,
                        on_change=EditorState.set_diff_to,
                        size="1",
                        id="diff-to",
                    ),
                    rx.button(
                        "Show diff", size="1", on_click=EditorState.show_diff, id="show-diff"
                    ),
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    EditorState.can_write,
                    rx.vstack(
                        rx.heading("Labels", size="2", as_="h3"),
                        rx.hstack(
                            rx.foreach(
                                EditorState.label_rows,
                                lambda lr: rx.badge(
                                    lr.name,
                                    " → v",
                                    lr.version.to_string(),
                                    rx.icon(
                                        "x",
                                        size=12,
                                        cursor="pointer",
                                        on_click=EditorState.remove_label(lr.name),
                                        aria_label="Remove label",
                                    ),
                                    variant="soft",
                                    color_scheme=rx.cond(lr.name == "production", "green", "gray"),
                                ),
                            ),
                            wrap="wrap",
                        ),
                        rx.hstack(
                            rx.input(
                                value=EditorState.label_name_input,
                                on_change=EditorState.set_label_name_input,
                                placeholder="staging, canary…",
                                size="1",
                                id="label-name",
                                max_length=36,
                            ),
                            rx.select(
                                EditorState.version_numbers,
                                value=EditorState.label_version_input,
                                on_change=EditorState.set_label_version_input,
                                placeholder="version",
                                size="1",
                                id="label-version",
                            ),
                            rx.button(
                                "Set label",
                                size="1",
                                variant="soft",
                                on_click=EditorState.apply_label,
                                id="set-label",
                            ),
                            align="center",
                            wrap="wrap",
                        ),
                        rx.cond(
                            EditorState.label_error,
                            rx.text(
                                EditorState.label_error,
                                size="1",
                                color=rx.color("red", 11),
                                role="alert",
                            ),
                        ),
                        rx.text(
                            "production = published (validators must pass); rollback moves it back. "
                            "Names: lowercase letters, digits, _ . - (at most 36).",
                            size="1",
                            color=rx.color("gray", 11),
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        diff_view(),
        spacing="3",
        width="100%",
        id="history-panel",
    )


def view_version_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Version ", EditorState.view_number.to_string()),
            rx.dialog.description(EditorState.view_summary, size="2"),
            rx.el.pre(
                EditorState.view_content,
                white_space="pre-wrap",
                font_family=MONO,
                font_size="0.8rem",
                max_height="60vh",
                overflow_y="auto",
                padding="0.75rem",
                background=rx.color("gray", 2),
                border_radius="6px",
                id="view-version-content",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft")),
                justify="end",
                margin_top="1rem",
            ),
            max_width="900px",
        ),
        open=EditorState.view_open,
        on_open_change=EditorState.set_view_open,
    )


def conflict_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Your text vs. the draft saved elsewhere"),
            rx.dialog.description(
                "Lines marked + are yours, − are in the other draft. Nothing has been overwritten.",
                size="2",
            ),
            diff_view("conflict-diff"),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                rx.button(
                    "Overwrite with mine",
                    color_scheme="orange",
                    on_click=EditorState.overwrite_server_draft,
                ),
                justify="end",
                margin_top="1rem",
            ),
            max_width="900px",
        ),
        open=EditorState.conflict_open,
        on_open_change=EditorState.set_conflict_open,
    )


# ---------------------------------------------------------------------------- page
def side_panel() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger("Preview", value="preview", id="tab-preview"),
            rx.tabs.trigger(
                "Variables ",
                rx.badge(EditorState.variable_rows.length().to_string(), variant="soft", size="1"),
                value="variables",
                id="tab-variables",
            ),
            rx.tabs.trigger(
                "Validators ",
                rx.cond(
                    EditorState.failing_count > 0,
                    rx.badge(
                        EditorState.failing_count.to_string(),
                        " failing",
                        color_scheme="red",
                        size="1",
                    ),
                ),
                value="validators",
                id="tab-validators",
            ),
            rx.tabs.trigger("History", value="history", id="tab-history"),
            flex_wrap="wrap",
        ),
        rx.tabs.content(preview_tab(), value="preview", padding_top="0.75rem"),
        rx.tabs.content(variables_tab(), value="variables", padding_top="0.75rem"),
        rx.tabs.content(validators_tab(), value="validators", padding_top="0.75rem"),
        rx.tabs.content(history_tab(), value="history", padding_top="0.75rem"),
        value=EditorState.active_tab,
        on_change=EditorState.set_active_tab,
        flex="2",
        min_width="min(100%, 22rem)",
        width="100%",
    )


def editor_body() -> rx.Component:
    return rx.vstack(
        header(),
        rx.flex(
            editor_column(),
            side_panel(),
            direction="row",
            wrap="wrap",
            gap="1.25rem",
            width="100%",
            align="start",
        ),
        view_version_dialog(),
        conflict_dialog(),
        rx.script(UNLOAD_GUARD),
        spacing="3",
        width="100%",
        id="prompt-editor",
        custom_attrs={"data-autosave-ms": str(int(AUTOSAVE_DELAY_SECONDS * 1000))},
    )


@template(
    route=routes.PROMPT_EDITOR,
    title="Prompt editor · PromptRepo",
    description="Edit a prompt: typed variables, live preview, validators, versions and labels.",
    on_load=[AppState.check_login, EditorState.load_editor],
)
def prompt_editor() -> rx.Component:
    return rx.cond(
        EditorState.load_error,
        rx.center(
            rx.vstack(
                rx.heading("Prompt not found", size="6", as_="h1"),
                rx.text(EditorState.load_error, color=rx.color("gray", 11)),
                rx.link(rx.button("Back to dashboard"), href=routes.DASHBOARD),
                align="center",
                spacing="3",
                id="editor-not-found",
            ),
            min_height="40vh",
        ),
        rx.cond(
            EditorState.loaded,
            editor_body(),
            rx.center(rx.spinner(size="3"), min_height="40vh", id="editor-loading"),
        ),
    )
