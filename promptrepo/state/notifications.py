"""NotificationState: the navbar's bell — how many notifications are unread, the newest ones,
and marking them read. Loaded when the bell mounts (every page of a signed-in user), then kept
fresh by following the person's `notifications:<id>` topic (services/notifications.py)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from promptrepo.formatting import format_timestamp
from promptrepo.services import notifications
from promptrepo.services.errors import ServiceError
from promptrepo.state.base import AppState
from promptrepo.state.live import follow, new_follower_id
from promptrepo.state.scope import user_session


@dataclasses.dataclass
class BellItem:
    id: str = ""
    text: str = ""
    link: str = ""
    when: str = ""
    read: bool = False


class NotificationState(AppState):
    bell_unread: int = 0
    bell_items: list[BellItem] = []
    _bell_follower: str = ""

    def _load_bell(self) -> None:
        principal = self.principal()
        if principal is None:
            self.bell_unread, self.bell_items = 0, []
            return
        with user_session(principal) as session:
            page = notifications.list_notifications(session, principal)
        self.bell_unread = page.unread
        self.bell_items = [
            BellItem(
                id=n.id,
                text=n.text,
                link=n.link,
                when=format_timestamp(n.created_at),
                read=n.read,
            )
            for n in page.items
        ]

    @rx.event
    def start_bell(self):
        """on_mount of the bell: load it, then follow the person's topic from the background."""
        self._load_bell()
        if not self.user_id:
            return None
        self._bell_follower = new_follower_id()
        return NotificationState.follow_bell(self._bell_follower)

    @rx.event(background=True)
    async def follow_bell(self, follower: str):
        async with self:
            user_id = self.user_id
        if not user_id:
            return
        await follow(
            self,
            notifications.topic(user_id),
            refresh=self._load_bell,
            still_wanted=lambda: self._bell_follower == follower and self.user_id == user_id,
        )

    @rx.event
    def refresh_bell(self, open_: bool):
        """The menu opened: show what is new."""
        if open_:
            self._load_bell()

    @rx.event
    def open_notification(self, notification_id: str, link: str):
        """Mark it read and go where it points."""
        principal = self.principal()
        if principal is None:
            return None
        try:
            with user_session(principal) as session:
                notifications.mark_read(session, principal, notification_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self._load_bell()
        if link.startswith("/"):  # our own pages only
            return rx.redirect(link)
        return None

    @rx.event
    def mark_all_read(self):
        principal = self.principal()
        if principal is None:
            return None
        with user_session(principal) as session:
            notifications.mark_read(session, principal)
        self._load_bell()
        return None
