"""/settings: profile name, theme preference, password change, API keys, account deletion."""

from __future__ import annotations

import reflex as rx

from promptrepo import routes
from promptrepo.components.dialogs import confirm_delete_dialog
from promptrepo.components.forms import copy_button, field, form_alert
from promptrepo.components.template import template
from promptrepo.pages.settings_providers import providers_section
from promptrepo.services.passwords import MAX_LENGTH, MIN_LENGTH
from promptrepo.state.api_keys import ALL_PROJECTS, KeyRow
from promptrepo.state.api_keys import ApiKeysState as K
from promptrepo.state.base import AppState
from promptrepo.state.providers import ProvidersState
from promptrepo.state.settings import SettingsState as S

THEMES = (("light", "Light", "sun"), ("dark", "Dark", "moon"), ("system", "System", "monitor"))
# Table columns a phone leaves out, so the row's actions stay in view.
WIDE_ONLY = rx.breakpoints(initial="none", md="table-cell")


def section(title: str, description: str, *children: rx.Component, id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, as_="h2", size="5"),
            rx.text(description, color=rx.color("gray", 11), size="2"),
            *children,
            spacing="4",
            align="stretch",
            width="100%",
        ),
        size="3",
        width="100%",
        id=id,
    )


def profile_section() -> rx.Component:
    return section(
        "Profile",
        "Your name as others see it on public projects.",
        form_alert(S.profile_error, id="profile-error"),
        rx.form(
            rx.hstack(
                rx.box(
                    rx.el.label("Name", html_for="settings-name", font_weight="500"),
                    rx.input(
                        name="name",
                        id="settings-name",
                        value=S.name_input,
                        on_change=S.set_name_input,
                        auto_complete="name",
                        required=True,
                        max_length=100,
                        size="3",
                        width="100%",
                    ),
                    flex="1",
                ),
                rx.button(
                    "Save name",
                    type="submit",
                    size="3",
                    loading=S.saving_name,
                    id="save-name",
                    disabled=~S.is_hydrated,
                ),
                align="end",
                width="100%",
            ),
            on_submit=S.save_name,
            reset_on_submit=False,
        ),
        rx.text("E-mail: ", rx.text.strong(AppState.user_email), size="2"),
        id="profile-section",
    )


def theme_section() -> rx.Component:
    return section(
        "Theme",
        "Applied at once, and on every device you log in to.",
        rx.hstack(
            *[
                rx.button(
                    rx.icon(icon, size=16),
                    label,
                    on_click=S.choose_theme(value),
                    variant=rx.cond(S.theme_preference == value, "solid", "outline"),
                    aria_pressed=rx.cond(S.theme_preference == value, "true", "false"),
                    id=f"theme-{value}",
                    disabled=~S.is_hydrated,
                    size="3",
                )
                for value, label, icon in THEMES
            ],
            role="group",
            aria_label="Theme",
            spacing="3",
            wrap="wrap",
        ),
        id="theme-section",
    )


def password_section() -> rx.Component:
    return section(
        "Password",
        "Changing it logs you out everywhere else.",
        form_alert(S.password_error, id="password-error"),
        rx.form(
            rx.vstack(
                # A hidden username field helps password managers pick the right entry.
                rx.el.input(
                    type="email",
                    name="username",
                    value=AppState.user_email,
                    auto_complete="username",
                    read_only=True,
                    hidden=True,
                ),
                field(
                    "Current password",
                    name="current_password",
                    id="current-password",
                    type="password",
                    auto_complete="current-password",
                    required=True,
                    error=S.password_errors["current_password"],
                ),
                field(
                    "New password",
                    name="new_password",
                    id="new-password",
                    type="password",
                    auto_complete="new-password",
                    required=True,
                    hint=f"{MIN_LENGTH} to {MAX_LENGTH} characters.",
                    error=S.password_errors["new_password"],
                ),
                field(
                    "New password again",
                    name="new_password_confirm",
                    id="new-password-confirm",
                    type="password",
                    auto_complete="new-password",
                    required=True,
                    error=S.password_errors["new_password_confirm"],
                ),
                rx.checkbox(
                    "Also revoke all my API keys (programs using them stop working)",
                    name="revoke_api_keys",
                    id="revoke-api-keys",
                    size="2",
                ),
                rx.button(
                    "Change password",
                    type="submit",
                    size="3",
                    loading=S.saving_password,
                    id="change-password",
                    disabled=~S.is_hydrated,
                ),
                spacing="3",
                align="stretch",
                width="100%",
            ),
            on_submit=S.change_password,
            reset_on_submit=False,
        ),
        id="password-section",
    )


def new_secret_callout() -> rx.Component:
    """The secret of the key just created, with a copy button: the only time it is shown."""
    return rx.cond(
        K.new_secret,
        rx.callout.root(
            rx.callout.icon(rx.icon("key-round")),
            rx.vstack(
                rx.text(
                    "Copy the key “",
                    K.new_secret_name,
                    "” now: it is shown only this once (we keep only its hash).",
                    weight="medium",
                ),
                rx.hstack(
                    rx.text("Secret key", size="2", width="6rem"),
                    rx.code(K.new_secret, id="new-api-key", word_break="break-all"),
                    copy_button(K.new_secret, id="copy-api-key", size="1"),
                    align="center",
                    wrap="wrap",
                ),
                rx.hstack(
                    rx.text("Public key", size="2", width="6rem"),
                    rx.code(K.new_public_key, id="new-public-key", word_break="break-all"),
                    copy_button(K.new_public_key, id="copy-public-key", size="1"),
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    K.new_key_project,
                    rx.vstack(
                        rx.text(
                            "Using the Langfuse SDK? Point it at PromptRepo with this "
                            "environment (prompts are named segment/prompt in “",
                            K.new_key_project,
                            "”):",
                            size="2",
                        ),
                        rx.hstack(
                            rx.code_block(K.langfuse_snippet, language="bash", id="langfuse-env"),
                            copy_button(K.langfuse_snippet, id="copy-langfuse-env", size="1"),
                            align="start",
                            wrap="wrap",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    rx.text(
                        "For the Langfuse SDK or MCP by name, create a key for one project.",
                        size="1",
                        color=rx.color("gray", 11),
                    ),
                ),
                rx.button(
                    "I have stored it",
                    size="1",
                    variant="ghost",
                    on_click=K.dismiss_secret,
                    id="dismiss-api-key",
                ),
                spacing="2",
            ),
            color_scheme="green",
            width="100%",
            id="new-api-key-callout",
        ),
    )


def key_row(row: KeyRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(row.name, weight="medium"),
            # on a phone the key's prefix goes under its name instead of in its own column
            rx.code(row.prefix, "…", display=rx.breakpoints(initial="inline", md="none")),
            min_width=rx.breakpoints(initial="0", md="8rem"),
        ),
        rx.table.cell(
            rx.vstack(
                rx.code(row.prefix, "…"),
                rx.code(row.public_key, size="1", class_name="api-key-public"),
                spacing="1",
            ),
            display=WIDE_ONLY,
        ),
        rx.table.cell(
            rx.cond(row.project, rx.text(row.project, size="2"), rx.text("All", size="2")),
            class_name="api-key-project",
        ),
        rx.table.cell(
            rx.badge(
                rx.cond(row.scope == "write", "read & write", "read only"),
                color_scheme=rx.cond(row.scope == "write", "orange", "gray"),
            )
        ),
        rx.table.cell(rx.text(row.created, size="1"), white_space="nowrap", display=WIDE_ONLY),
        rx.table.cell(rx.text(row.last_used, size="1"), white_space="nowrap", display=WIDE_ONLY),
        rx.table.cell(
            rx.button(
                "Revoke",
                size="1",
                color_scheme="red",
                variant="soft",
                on_click=K.ask_revoke(row.id, row.name),
                aria_label="Revoke " + row.name,
            )
        ),
        class_name="api-key-row",
    )


def api_keys_section() -> rx.Component:
    return section(
        "API keys",
        "Programs use a key to fetch your prompts over the REST API "
        "(Authorization: Bearer <key>; see /api/docs), the Langfuse-compatible API "
        "(/api/public, public key and secret) or MCP (/mcp). Read-only keys cannot change "
        "anything; a project key reaches only its project.",
        form_alert(K.create_error, id="api-key-error"),
        rx.form(
            rx.hstack(
                rx.box(
                    field(
                        "Key name",
                        name="name",
                        id="api-key-name",
                        required=True,
                        max_length=100,
                        placeholder="e.g. production worker",
                        error=K.create_errors["name"],
                    ),
                    flex="1",
                    min_width="12rem",
                ),
                rx.vstack(
                    rx.el.label(
                        "Access", html_for="api-key-scope", font_weight="500", font_size="0.9rem"
                    ),
                    rx.select.root(
                        rx.select.trigger(id="api-key-scope", aria_label="Access"),
                        rx.select.content(
                            rx.select.item("Read only", value="read"),
                            rx.select.item("Read & write", value="write"),
                        ),
                        name="scope",
                        default_value="read",
                        size="3",
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    rx.el.label(
                        "Project", html_for="api-key-project", font_weight="500", font_size="0.9rem"
                    ),
                    rx.select.root(
                        rx.select.trigger(id="api-key-project", aria_label="Project"),
                        rx.select.content(
                            rx.select.item("All my projects", value=ALL_PROJECTS),
                            rx.foreach(
                                K.project_choices,
                                lambda p: rx.select.item(p.name, value=p.id),
                            ),
                        ),
                        name="project",
                        default_value=ALL_PROJECTS,
                        size="3",
                    ),
                    spacing="1",
                ),
                rx.button(
                    "Create key",
                    type="submit",
                    size="3",
                    loading=K.creating,
                    id="create-api-key",
                    disabled=~K.is_hydrated,
                ),
                align="end",
                wrap="wrap",
                width="100%",
            ),
            on_submit=K.create_api_key,
            reset_on_submit=False,
        ),
        new_secret_callout(),
        rx.cond(
            K.keys.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Name"),
                        rx.table.column_header_cell("Key", display=WIDE_ONLY),
                        rx.table.column_header_cell("Project"),
                        rx.table.column_header_cell("Access"),
                        rx.table.column_header_cell("Created", display=WIDE_ONLY),
                        rx.table.column_header_cell("Last used", display=WIDE_ONLY),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(K.keys, key_row)),
                width="100%",
                size="1",
                id="api-keys-table",
            ),
            rx.cond(
                K.keys_loaded,
                rx.text("No API keys yet.", color=rx.color("gray", 11), size="2", id="no-api-keys"),
            ),
        ),
        confirm_delete_dialog(
            title=rx.text("Revoke “", K.revoke_name, "”?"),
            description=rx.alert_dialog.description(
                "Programs using this key are refused from their next request. "
                "This cannot be undone; you can create a new key."
            ),
            confirm_label="Revoke key",
            on_confirm=K.revoke_api_key,
            is_open=K.revoke_id != "",
            on_open_change=K.set_revoke_open,
            error=K.revoke_error,
        ),
        id="api-keys-section",
    )


def delete_section() -> rx.Component:
    return section(
        "Delete account",
        "Deletes your profile, projects, prompts, versions, API keys and billing record. "
        "This cannot be undone.",
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(
                rx.button(
                    "Delete my account…",
                    align_self="start",
                    color_scheme="red",
                    variant="soft",
                    id="delete-account-open",
                    disabled=~S.is_hydrated,
                ),
            ),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Delete your account?"),
                rx.alert_dialog.description(
                    "Everything you own in PromptRepo is deleted at once. Type your e-mail "
                    "address to confirm."
                ),
                rx.form(
                    rx.vstack(
                        field(
                            "Your e-mail address",
                            name="confirmation",
                            id="delete-confirmation",
                            auto_focus=True,
                            required=True,
                            error=S.delete_error,
                        ),
                        rx.hstack(
                            rx.alert_dialog.cancel(
                                rx.button(
                                    "Cancel", variant="soft", color_scheme="gray", type="button"
                                ),
                            ),
                            rx.button(
                                "Delete everything",
                                color_scheme="red",
                                type="submit",
                                loading=S.deleting,
                                id="delete-account-confirm",
                                disabled=~S.is_hydrated,
                            ),
                            justify="end",
                            width="100%",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=S.delete_account,
                    reset_on_submit=False,
                ),
            ),
            open=S.delete_open,
            on_open_change=S.set_delete_open,
        ),
        id="delete-section",
    )


@template(
    route=routes.SETTINGS,
    title="Settings · PromptRepo",
    on_load=[AppState.check_login, S.load_settings, K.load_api_keys, ProvidersState.load_providers],
)
def settings_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Settings", as_="h1", size="8"),
        profile_section(),
        theme_section(),
        rx.cond(S.has_password, password_section()),
        api_keys_section(),
        providers_section(),
        delete_section(),
        spacing="5",
        max_width="44rem",
        width="100%",
    )
