"""The navbar's notification bell: the unread count on the button, the newest notifications
in a popover (each opens where it happened and is marked read), and "Mark all read"."""

from __future__ import annotations

import reflex as rx

from promptrepo.state.notifications import BellItem, NotificationState


def bell_item(item: BellItem) -> rx.Component:
    return rx.el.li(
        rx.button(
            rx.vstack(
                rx.text(item.text, size="2", weight=rx.cond(item.read, "regular", "bold")),
                rx.text(item.when, size="1", color=rx.color("gray", 11)),
                spacing="0",
                align="start",
                text_align="left",
            ),
            variant="ghost",
            color_scheme="gray",
            width="100%",
            height="auto",
            padding="0.5rem",
            justify="start",
            white_space="normal",
            on_click=NotificationState.open_notification(item.id, item.link),
            class_name="bell-item",
            custom_attrs={"data-read": rx.cond(item.read, "true", "false")},
        ),
        list_style="none",
    )


def bell() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.box(
                rx.icon_button(
                    rx.icon("bell", size=16, aria_hidden="true"),
                    variant="ghost",
                    color_scheme="gray",
                    aria_label=rx.cond(
                        NotificationState.bell_unread > 0,
                        "Notifications, " + NotificationState.bell_unread.to_string() + " unread",
                        "Notifications",
                    ),
                    title="Notifications",
                    id="bell",
                ),
                # over the button's corner, so the count takes no room in a phone's navbar
                rx.cond(
                    NotificationState.bell_unread > 0,
                    rx.badge(
                        NotificationState.bell_unread.to_string(),
                        color_scheme="red",
                        variant="solid",
                        radius="full",
                        size="1",
                        id="bell-count",
                        position="absolute",
                        top="-0.5rem",
                        right="-0.6rem",
                        pointer_events="none",
                        aria_hidden="true",
                    ),
                ),
                position="relative",
                display="inline-flex",
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.hstack(
                    rx.heading("Notifications", size="2", as_="h2"),
                    rx.spacer(),
                    rx.cond(
                        NotificationState.bell_unread > 0,
                        rx.button(
                            "Mark all read",
                            size="1",
                            variant="soft",
                            on_click=NotificationState.mark_all_read,
                            id="bell-mark-all",
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
                rx.cond(
                    NotificationState.bell_items.length() > 0,
                    rx.el.ul(
                        rx.foreach(NotificationState.bell_items, bell_item),
                        padding="0",
                        margin="0",
                        width="100%",
                        max_height="60vh",
                        overflow_y="auto",
                    ),
                    rx.text(
                        "Nothing yet. Release proposals and their decisions show up here.",
                        size="2",
                        color=rx.color("gray", 11),
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="22rem",
            max_width="90vw",
            id="bell-panel",
        ),
        on_open_change=NotificationState.refresh_bell,
    )


def bell_mount() -> rx.Component:
    """The bell, loading (and following) its notifications once it is on the page."""
    # flex, not block: a block around the inline bell sat it on a text line, above the
    # navbar's other icons
    return rx.box(bell(), on_mount=NotificationState.start_bell, display="flex")
