"""/projects/[project_id]/activity: who changed what, when (services/activity.py).

Thin: each handler re-checks the signed-in user; one page of entries (ACTIVITY_PAGE_SIZE)
lives in the state, paged and filtered in SQL. The CSV export (Enterprise) is sent as a
download; other plans see an upgrade note.
"""

from __future__ import annotations

import dataclasses
import re

import reflex as rx

from promptrepo import routes
from promptrepo.db import session_scope
from promptrepo.formatting import format_when
from promptrepo.services import access, activity
from promptrepo.services.errors import NotAuthenticated, NotFound, ServiceError
from promptrepo.state.base import AppState

ACTIVITY_PAGE_SIZE = 25
ANY = "__any__"  # the selects' "no filter" item (Radix select items need a value)
ACTIVITY_PATH = re.compile(r"^/projects/([0-9a-fA-F-]{36})/activity/?$")


def project_id_from_path(path: str) -> str:
    match = ACTIVITY_PATH.match(path or "")
    return match.group(1).lower() if match else ""


@dataclasses.dataclass
class ActivityRow:
    when: str = ""
    at: str = ""
    person: str = ""
    kind: str = ""
    kind_name: str = ""
    summary: str = ""
    prompt_url: str = ""


@dataclasses.dataclass
class Choice:
    value: str = ""
    label: str = ""


class ActivityState(AppState):
    project_id: str = ""
    project_name: str = ""
    not_found: bool = False
    loaded: bool = False
    rows: list[ActivityRow] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    # filters, as typed (kept when refused)
    actor_filter: str = ANY
    kind_filter: str = ANY
    since: str = ""
    until: str = ""
    filter_error: str = ""
    actor_choices: list[Choice] = []
    can_export: bool = False
    plan_name: str = ""

    @rx.var
    def kind_choices(self) -> list[Choice]:
        return [Choice(k, name) for k, name in activity.KIND_NAMES.items()]

    @rx.var
    def filtered(self) -> bool:
        return self.actor_filter != ANY or self.kind_filter != ANY or bool(self.since or self.until)

    def _filters(self) -> activity.ActivityFilters:
        return activity.parse_filters(
            actor=None if self.actor_filter == ANY else self.actor_filter,
            kind=None if self.kind_filter == ANY else self.kind_filter,
            since=self.since or None,
            until=self.until or None,
        )

    def _reload(self, *, with_choices: bool = False) -> None:
        principal = self.require_principal()
        try:
            filters = self._filters()
        except ServiceError as exc:
            self.filter_error = exc.message
            return
        self.filter_error = ""
        with session_scope(acting_as=principal.user_id) as session:
            result = activity.list_activity(
                session,
                principal,
                self.project_id,
                filters,
                page=self.page,
                per_page=ACTIVITY_PAGE_SIZE,
            )
            if not result.items and result.total and self.page > 1:
                self.page = result.pages
                result = activity.list_activity(
                    session,
                    principal,
                    self.project_id,
                    filters,
                    page=self.page,
                    per_page=ACTIVITY_PAGE_SIZE,
                )
            if with_choices:
                self.project_name = access.get_project(session, principal, self.project_id).name
                self.actor_choices = [
                    Choice(a.id, a.name)
                    for a in activity.actors(session, principal, self.project_id)
                ]
                plan = activity.export_plan(session, principal)
                self.can_export = plan.audit_export
                self.plan_name = plan.name
        self.total = result.total
        self.pages = result.pages
        self.rows = [
            ActivityRow(
                when=format_when(e.at),
                at=e.at.strftime("%Y-%m-%d %H:%M UTC"),
                person=e.actor_name,
                kind=e.kind,
                kind_name=activity.KIND_NAMES.get(e.kind, "Other"),
                summary=e.summary,
                prompt_url=(
                    routes.prompt_editor_url(self.project_id, e.prompt_id) if e.prompt_id else ""
                ),
            )
            for e in result.items
        ]

    def _run(self, **kw):
        try:
            self._reload(**kw)
        except NotAuthenticated:
            return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")
        except NotFound:
            self.not_found = True
            self.rows = []
        except ServiceError as exc:
            self.filter_error = exc.message
        self.loaded = True
        return None

    @rx.event
    def load(self):
        """on_load: the newest page, unfiltered, of the project named in the URL."""
        self.page_principal()
        project_id = project_id_from_path(self.router.url.path)
        if project_id != self.project_id:
            self.actor_filter = self.kind_filter = ANY
            self.since = self.until = ""
            self.rows = []
            self.loaded = False
        self.project_id = project_id
        self.page = 1
        self.not_found = not project_id
        if self.not_found:
            self.loaded = True
            return None
        return self._run(with_choices=True)

    @rx.event
    def set_actor_filter(self, value: str):
        self.actor_filter = value
        self.page = 1
        return self._run()

    @rx.event
    def set_kind_filter(self, value: str):
        self.kind_filter = value
        self.page = 1
        return self._run()

    @rx.event
    def set_since(self, value: str):
        self.since = value[:10]
        self.page = 1
        return self._run()

    @rx.event
    def set_until(self, value: str):
        self.until = value[:10]
        self.page = 1
        return self._run()

    @rx.event
    def clear_filters(self):
        self.actor_filter = self.kind_filter = ANY
        self.since = self.until = ""
        self.page = 1
        return self._run()

    @rx.event
    def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        return self._run()

    @rx.event
    def export_csv(self):
        """The Enterprise plan's download: every entry the filters select, as CSV."""
        try:
            principal = self.require_principal()
            filters = self._filters()
            with session_scope(acting_as=principal.user_id) as session:
                text = activity.export_csv(session, principal, self.project_id, filters)
        except NotAuthenticated:
            return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return rx.download(data=text, filename=f"activity-{self.project_id}.csv")
