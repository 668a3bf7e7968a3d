"""PresenceState: who else has this prompt open (services/presence.py), in the header.

The editor's on_load starts `keep_presence`, a background task that heartbeats for this tab
every few seconds and follows `presence:<prompt>` (state/live.follow). On each join or leave
and on every heartbeat (which is when an expired tab drops out) it reads the list without the
state's lock, and takes the lock only to show a list that changed. When the
task ends (the tab navigates away, reloads, or its websocket is gone) it leaves at once; a tab
that could not say goodbye expires after presence.TTL_SECONDS.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid

import reflex as rx

from promptrepo.db import session_scope
from promptrepo.services import access, presence
from promptrepo.services.errors import ServiceError
from promptrepo.state.editor.base import EditorState
from promptrepo.state.live import follow, new_follower_id


@dataclasses.dataclass
class PresentPerson:
    user_id: str = ""
    name: str = ""
    initials: str = ""


class PresenceState(EditorState):
    present_others: list[PresentPerson] = []
    _follower: str = ""  # the newest page load's keep_presence; older ones end

    @rx.var
    def present_summary(self) -> str:
        names = [p.name for p in self.present_others]
        if not names:
            return ""
        if len(names) == 1:
            return f"{names[0]} also has this prompt open"
        return f"{', '.join(names[:-1])} and {names[-1]} also have this prompt open"

    @rx.event(background=True, supersedes=True)
    async def keep_presence(self):
        """Be present on the open prompt while this tab shows it; show who else is."""
        async with self:
            prompt_id = self.editor_prompt_id
            # one entry per page load: a reload's late goodbye must not remove its successor
            tab = f"{self.router.session.client_token}:{uuid.uuid4().hex[:8]}"
            self._follower = follower = new_follower_id()
            self.present_others = []
            if not prompt_id:
                return
            # Only someone who may read the prompt appears on its list. The editor's load,
            # which starts this task, has just checked that, and noted who is signed in.
            if self.loaded and not self.load_error and self.user_id:
                me, name = self.user_id, self.user_name or self.user_email.split("@")[0]
            else:
                principal = self.principal()
                if principal is None:
                    return
                try:
                    with session_scope(acting_as=principal.user_id) as session:
                        access.get_prompt(session, principal, prompt_id)
                except ServiceError:
                    return
                me, name = str(principal.user_id), principal.name or principal.email.split("@")[0]
            shown = _others(await presence.beat(prompt_id, tab=tab, user_id=me, name=name), me)
            self.present_others = shown

        async def changed(_messages: list[dict], _tab: str) -> bool:
            """Each heartbeat and each arrival or departure, without the state's lock: stay
            present, and ask for a refresh only when the list of the others changed."""
            nonlocal shown
            others = _others(await presence.beat(prompt_id, tab=tab, user_id=me, name=name), me)
            if others == shown:
                return False
            shown = others
            return True

        try:
            await follow(
                self,
                presence.topic(prompt_id),
                refresh=lambda: setattr(self, "present_others", shown),
                still_wanted=lambda: (
                    self._follower == follower
                    and self.editor_prompt_id == prompt_id
                    and self.route_ids()[1] == prompt_id
                ),
                heartbeat=presence.HEARTBEAT_SECONDS,
                probe=changed,
            )
        finally:
            with contextlib.suppress(Exception):
                await presence.leave(prompt_id, tab=tab)


def _others(people: list[presence.Present], me: object) -> list[PresentPerson]:
    """Everyone else of `people` (those with the prompt open now)."""
    return [
        PresentPerson(user_id=p.user_id, name=p.name, initials=p.initials)
        for p in people
        if p.user_id != str(me)
    ]
