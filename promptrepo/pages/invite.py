"""/invites/[token]: accept or decline an invitation to a project."""

import reflex as rx

from promptrepo import routes
from promptrepo.components.dialogs import error_callout
from promptrepo.components.template import template
from promptrepo.state.invite import InviteState


def answer_buttons() -> rx.Component:
    return rx.hstack(
        rx.button(
            "Accept",
            on_click=InviteState.accept,
            loading=InviteState.answering,
            id="accept-invite",
        ),
        rx.button(
            "Decline",
            variant="soft",
            color_scheme="gray",
            on_click=InviteState.decline,
            disabled=InviteState.answering,
            id="decline-invite",
        ),
        spacing="3",
    )


def invitation() -> rx.Component:
    return rx.vstack(
        rx.heading("Join “", InviteState.project_name, "”", size="6", as_="h2"),
        rx.text(
            rx.text.strong(InviteState.invited_by),
            " invited ",
            InviteState.invited_email,
            " to this project as ",
            rx.badge(InviteState.invited_role, id="invited-role"),
            ".",
        ),
        rx.match(
            InviteState.invite_status,
            (
                "pending",
                rx.vstack(
                    rx.text("The invitation expires ", InviteState.expires, ".", size="2"),
                    answer_buttons(),
                    spacing="3",
                ),
            ),
            ("accepted", rx.text("This invitation has already been accepted.")),
            ("declined", rx.text("You declined this invitation.", id="invite-declined")),
            ("revoked", rx.text("The owner withdrew this invitation.")),
            ("expired", rx.text("This invitation has expired: ask the owner for a new one.")),
            rx.fragment(),
        ),
        spacing="4",
    )


@template(route=routes.INVITE, title="Invitation · PromptRepo", on_load=InviteState.load_invite)
def invite_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.cond(
                InviteState.invite_loaded,
                rx.vstack(
                    rx.heading("Invitation", size="7", as_="h1"),
                    error_callout(InviteState.invite_error),
                    rx.cond(InviteState.project_name != "", invitation()),
                    rx.link("Your dashboard", href=routes.DASHBOARD, size="2"),
                    spacing="4",
                ),
                rx.spinner(size="3"),
            ),
            max_width="36rem",
            width="100%",
            padding="1.5rem",
        ),
        padding_top="3rem",
        width="100%",
    )
