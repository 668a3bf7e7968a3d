"""The command palette (Ctrl/Cmd+K on every signed-in page): a dialog with a search box that
jumps to any of the user's projects or prompts (services/search.jump_targets).

The browser side (assets/palette.js) only opens it on the shortcut; arrow keys and Enter are
handled here, so what is highlighted and where Enter goes are one piece of state.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from promptrepo import routes
from promptrepo.services import search
from promptrepo.services.errors import ServiceError
from promptrepo.state.base import AppState
from promptrepo.state.scope import user_session

PALETTE_LIMIT = 8


@dataclasses.dataclass
class PaletteItem:
    kind: str = ""
    title: str = ""
    detail: str = ""
    url: str = ""
    dom_id: str = ""


class PaletteState(AppState):
    palette_open: bool = False
    palette_query: str = ""
    palette_items: list[PaletteItem] = []
    palette_active: int = 0
    palette_error: str = ""

    @rx.var
    def palette_active_id(self) -> str:
        return f"palette-option-{self.palette_active}" if self.palette_items else ""

    def _find(self) -> None:
        principal = self.principal()
        if principal is None:
            self.palette_items = []
            self.palette_error = "Log in to search your projects and prompts."
            return
        try:
            with user_session(principal) as session:
                targets = search.jump_targets(
                    session, principal, self.palette_query, limit=PALETTE_LIMIT
                )
        except ServiceError as exc:
            self.palette_items = []
            self.palette_error = exc.message
            return
        self.palette_error = ""
        self.palette_items = [
            PaletteItem(
                kind=t.kind,
                title=t.title,
                detail=t.detail,
                url=(
                    routes.prompt_editor_url(t.project_id, t.prompt_id)
                    if t.kind == "prompt"
                    else routes.project_url(t.project_id)
                ),
                dom_id=f"palette-option-{i}",
            )
            for i, t in enumerate(targets)
        ]
        self.palette_active = 0

    @rx.event
    def open_palette(self):
        self.palette_open = True
        self.palette_query = ""
        self._find()

    @rx.event
    def set_palette_open(self, value: bool):
        if value:
            return PaletteState.open_palette
        self.palette_open = False
        return None

    @rx.event
    def set_palette_query(self, value: str):
        self.palette_query = value[: search.MAX_QUERY_CHARS]
        self._find()

    @rx.event
    def palette_key(self, key: str):
        """Arrow keys move the highlight (wrapping round); Enter opens the highlighted entry.
        Escape is the dialog's own (it closes)."""
        count = len(self.palette_items)
        if key == "ArrowDown" and count:
            self.palette_active = (self.palette_active + 1) % count
        elif key == "ArrowUp" and count:
            self.palette_active = (self.palette_active - 1) % count
        elif key == "Home" and count:
            self.palette_active = 0
        elif key == "End" and count:
            self.palette_active = count - 1
        elif key == "Enter" and count:
            return self._go(self.palette_active)
        return None

    @rx.event
    def choose(self, index: int):
        return self._go(index)

    def _go(self, index: int):
        if not 0 <= index < len(self.palette_items):
            return None
        self.palette_open = False
        return rx.redirect(self.palette_items[index].url)
