"""EditorState: which prompt the editor shows, who may change it, and the one preamble every
handler that reads or writes goes through. The panes are substates (draft, variables,
validators, history) that own their vars and handlers."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import reflex as rx
from sqlmodel import Session

from promptrepo import routes
from promptrepo.db import session_scope
from promptrepo.services.errors import NotAuthenticated, ServiceError
from promptrepo.services.principal import Principal
from promptrepo.settings import settings
from promptrepo.state.base import AppState


def chain(*events: Any) -> list[Any]:
    """The events a handler returns, without the Nones of steps that had nothing to do."""
    return [event for event in events if event is not None]


def public_base(page_origin: str) -> str:
    """Where programs reach this app: PUBLIC_URL when it is configured, else the origin the
    page was opened at (its default, localhost:3000, is wrong anywhere else)."""
    if "public_url" in settings.model_fields_set or not page_origin:
        return settings.public_url.rstrip("/")
    return page_origin.rstrip("/")


def guarded(handler: Callable) -> Callable:
    """Turn a handler's errors into what the user sees: signed out (or the session revoked)
    → the login page, coming back here; any other ServiceError → a toast with its message.

    Use under `@rx.event`; the handler's signature is kept, so its event arguments still work.
    """
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def run_async(self: EditorState, *args: Any, **kwargs: Any) -> Any:
            try:
                return await handler(self, *args, **kwargs)
            except NotAuthenticated:
                return self.to_login()
            except ServiceError as exc:
                return rx.toast.error(exc.message)

        return run_async

    @functools.wraps(handler)
    def run(self: EditorState, *args: Any, **kwargs: Any) -> Any:
        try:
            return handler(self, *args, **kwargs)
        except NotAuthenticated:
            return self.to_login()
        except ServiceError as exc:
            return rx.toast.error(exc.message)

    return run


class EditorState(AppState):
    # which prompt is loaded (kept apart from the route so navigation can be noticed)
    editor_project_id: str = ""
    editor_prompt_id: str = ""
    project_name: str = ""
    loaded: bool = False
    load_error: str = ""
    can_write: bool = False
    active_tab: str = "preview"
    # The origin the page was opened at (set by the editor's load): kept as a var because a
    # computed var reading the router would make Reflex load this state's whole subtree for
    # every event of the app.
    page_origin: str = ""

    @rx.var
    def editor_url(self) -> str:
        return routes.prompt_editor_url(self.editor_project_id, self.editor_prompt_id)

    @rx.var
    def playground_url(self) -> str:
        return routes.prompt_playground_url(self.editor_project_id, self.editor_prompt_id)

    @rx.var
    def project_url(self) -> str:
        return routes.project_url(self.editor_project_id) if self.editor_project_id else "/"

    @rx.var
    def api_snippet(self) -> str:
        """How a program fetches the published version of this prompt: on PUBLIC_URL when it
        is configured, else on the address this page was opened at."""
        base = public_base(self.page_origin)
        url = f"{base}/api/v1/prompts/{self.editor_prompt_id}/resolve"
        return f'curl -H "Authorization: Bearer $PROMPTREPO_API_KEY" \\\n  {url}'

    def route_ids(self) -> tuple[str, str]:
        """(project id, prompt id) from the route `/projects/[project_id]/prompts/[prompt_id]`;
        empty strings when the tab shows another page."""
        params = self.rx_router_page.params
        return str(params.get("project_id") or ""), str(params.get("prompt_id") or "")

    def to_login(self) -> Any:
        return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")

    @contextlib.contextmanager
    def acting(self) -> Iterator[tuple[Session, Principal]]:
        """The preamble of every handler that reads or writes: who is asking (resolved now,
        so a revoked session or a suspension applies at once; NotAuthenticated if nobody) and
        a database session acting as them (row-level security on PostgreSQL)."""
        principal = self.require_principal()
        with session_scope(acting_as=principal.user_id) as session:
            yield session, principal

    @rx.event
    def set_active_tab(self, value: str):
        self.active_tab = value
