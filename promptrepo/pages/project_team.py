"""The Team dialog of the project page: people and roles; the owner invites, changes roles,
removes, withdraws invitations and transfers the project; members may leave. Each
destructive step asks first (a confirmation inside the dialog)."""

import reflex as rx

from promptrepo.components.dialogs import error_callout
from promptrepo.state.members import InviteRow, MembersState, PersonView

IS_OWNER = MembersState.my_role == "owner"


def team_button() -> rx.Component:
    return rx.button(
        rx.icon("users", size=14),
        "Team",
        variant="soft",
        on_click=MembersState.open_team,
        id="team-button",
    )


def role_picker(person: PersonView) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Role of " + person.name, class_name="member-role"),
        rx.select.content(
            rx.select.item("Editor", value="editor"),
            rx.select.item("Viewer", value="viewer"),
        ),
        value=person.role,
        on_change=lambda role: MembersState.set_member_role(person.user_id, role),
        size="1",
    )


def person_row(person: PersonView) -> rx.Component:
    owner_controls = rx.hstack(
        role_picker(person),
        rx.button(
            "Make owner",
            size="1",
            variant="soft",
            on_click=MembersState.ask_transfer(person.user_id, person.name),
            aria_label="Make " + person.name + " the owner",
            class_name="member-transfer",
        ),
        rx.icon_button(
            rx.icon("user-minus", size=14),
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=MembersState.ask_remove_member(person.user_id, person.name),
            aria_label="Remove " + person.name,
            class_name="member-remove",
        ),
        spacing="2",
        align="center",
    )
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(person.name, rx.cond(person.is_me, " (you)", ""), weight="medium"),
                rx.text(person.email, size="1", color=rx.color("gray", 11)),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.cond(
                IS_OWNER & (person.role != "owner"),
                owner_controls,
                rx.badge(person.role, class_name="member-role-badge"),
            )
        ),
        class_name="member-row",
        data_email=person.email,
    )


def invite_row(invite: InviteRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(invite.email), rx.text("expires ", invite.expires, size="1")),
        rx.table.cell(rx.badge(invite.role, variant="outline")),
        rx.table.cell(
            rx.button(
                "Withdraw",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=MembersState.withdraw_invite(invite.id),
                aria_label="Withdraw the invitation to " + invite.email,
            )
        ),
        class_name="pending-invite",
    )


def invite_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Invite someone", size="3", as_="h3"),
            rx.hstack(
                rx.vstack(
                    rx.el.label("E-mail address", html_for="invite-email", font_size="0.85rem"),
                    rx.input(
                        id="invite-email",
                        name="email",
                        type="email",
                        required=True,
                        value=MembersState.invite_email,
                        on_change=MembersState.set_invite_email,
                        placeholder="name@example.com",
                        width="100%",
                    ),
                    spacing="1",
                    # at least 16rem, or the row wraps: on a phone the field takes the whole
                    # width and the role and the button go under it (it shrank to "name@")
                    flex="1 1 16rem",
                ),
                rx.vstack(
                    rx.el.label("Role", html_for="invite-role", font_size="0.85rem"),
                    rx.select.root(
                        rx.select.trigger(id="invite-role", aria_label="Role"),
                        rx.select.content(
                            rx.select.item("Editor", value="editor"),
                            rx.select.item("Viewer", value="viewer"),
                        ),
                        name="role",
                        value=MembersState.invite_role,
                        on_change=MembersState.set_invite_role,
                    ),
                    spacing="1",
                ),
                rx.button("Send invitation", type="submit", id="invite-submit"),
                align="end",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            rx.text(
                "Editors change prompts and versions; viewers read, run the playground and "
                "comment. Only you manage the team, settings and webhooks.",
                size="1",
                color=rx.color("gray", 11),
            ),
            error_callout(MembersState.invite_error),
            rx.cond(
                MembersState.invite_link != "",
                rx.callout.root(
                    rx.callout.text(
                        "Invitation link (works once, for that address): ",
                        rx.code(MembersState.invite_link, id="invite-link"),
                    ),
                    color_scheme="green",
                    width="100%",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=MembersState.send_invite,
        reset_on_submit=False,
    )


def confirmation() -> rx.Component:
    message = rx.match(
        MembersState.confirming,
        (
            "remove",
            rx.text(
                "Remove ",
                rx.text.strong(MembersState.confirm_name),
                " from this project? Their API keys stop reaching it at once.",
            ),
        ),
        (
            "transfer",
            rx.text(
                "Make ",
                rx.text.strong(MembersState.confirm_name),
                " the owner? The project will count against their plan, and you will stay on "
                "as an editor; only they can undo this.",
            ),
        ),
        ("leave", rx.text("Leave this project? You will need a new invitation to return.")),
        rx.text(""),
    )
    return rx.cond(
        MembersState.confirming != "",
        rx.callout.root(
            rx.vstack(
                message,
                rx.hstack(
                    rx.button(
                        "Cancel",
                        variant="soft",
                        color_scheme="gray",
                        on_click=MembersState.cancel_confirm,
                    ),
                    rx.button(
                        rx.match(
                            MembersState.confirming,
                            ("remove", "Remove"),
                            ("transfer", "Transfer ownership"),
                            ("leave", "Leave"),
                            "Confirm",
                        ),
                        color_scheme="red",
                        on_click=MembersState.confirm,
                        id="team-confirm",
                    ),
                    spacing="3",
                ),
                spacing="2",
            ),
            color_scheme="amber",
            role="alertdialog",
            width="100%",
        ),
    )


def review_setting() -> rx.Component:
    """The owner's switch for reviewed releases (only `production` is covered)."""
    return rx.vstack(
        rx.heading("Releases", size="3", as_="h3"),
        rx.el.label(
            rx.hstack(
                rx.switch(
                    checked=MembersState.review_required,
                    on_change=MembersState.set_review_required,
                    id="review-required",
                ),
                rx.text("Production needs review", weight="medium"),
                align="center",
            ),
            html_for="review-required",
        ),
        rx.text(
            "When on, editors and you propose moves of the production label (publish, "
            "rollback, split, removal) and another editor or the owner approves them. Other "
            "labels move freely.",
            size="1",
            color=rx.color("gray", 11),
        ),
        spacing="1",
        width="100%",
    )


def team_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Team"),
            rx.dialog.description(
                "Who can open ", MembersState.name, ", and what each may do.", size="2"
            ),
            error_callout(MembersState.team_error),
            rx.vstack(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Person"),
                            rx.table.column_header_cell("Role"),
                        )
                    ),
                    rx.table.body(rx.foreach(MembersState.people, person_row)),
                    width="100%",
                    id="team-table",
                ),
                rx.cond(
                    IS_OWNER,
                    rx.vstack(
                        rx.cond(
                            MembersState.pending.length() > 0,
                            rx.vstack(
                                rx.heading("Invited", size="3", as_="h3"),
                                rx.table.root(
                                    rx.table.body(rx.foreach(MembersState.pending, invite_row)),
                                    width="100%",
                                ),
                                width="100%",
                            ),
                            rx.text("No open invitations.", size="1", color=rx.color("gray", 11)),
                        ),
                        invite_form(),
                        review_setting(),
                        width="100%",
                        spacing="3",
                    ),
                    rx.button(
                        rx.icon("log-out", size=14),
                        "Leave project",
                        variant="soft",
                        color_scheme="red",
                        on_click=MembersState.ask_leave,
                        id="leave-project",
                    ),
                ),
                confirmation(),
                rx.hstack(
                    rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                    justify="end",
                    width="100%",
                ),
                spacing="4",
                width="100%",
                margin_top="0.5rem",
            ),
            max_width="40rem",
        ),
        open=MembersState.team_open,
        on_open_change=MembersState.set_team_open,
    )
