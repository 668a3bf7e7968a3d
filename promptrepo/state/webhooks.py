"""/projects/[project_id]/webhooks: the project's webhooks and their delivery log.

Thin: every handler re-checks the signed-in user and calls services/webhooks.py (owner only).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import reflex as rx

from promptrepo.db import session_scope
from promptrepo.models import Project
from promptrepo.models.webhooks import WEBHOOK_EVENTS
from promptrepo.services import access, webhooks
from promptrepo.services.errors import ServiceError
from promptrepo.state.base import AppState

LOG_PAGE_SIZE = 50
WEBHOOKS_PATH = re.compile(r"^/projects/([0-9a-fA-F-]{36})/webhooks/?$")


def project_id_from_path(path: str) -> str:
    match = WEBHOOKS_PATH.match(path or "")
    return match.group(1).lower() if match else ""


@dataclasses.dataclass
class HookRow:
    id: str = ""
    url: str = ""
    events: str = ""


@dataclasses.dataclass
class DeliveryRow:
    id: str = ""
    when: str = ""
    event: str = ""
    status: str = ""
    code: str = ""
    attempts: int = 0
    detail: str = ""


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


class WebhooksState(AppState):
    project_id: str = ""
    project_name: str = ""
    not_found: bool = False
    hooks: list[HookRow] = []
    deliveries: list[DeliveryRow] = []
    delivery_total: int = 0
    form_error: str = ""
    new_secret: str = ""
    action_error: str = ""

    @rx.var
    def event_names(self) -> list[str]:
        return list(WEBHOOK_EVENTS)

    @rx.event
    def load(self):
        """on_load: the project's webhooks and its latest deliveries (owner only)."""
        self.page_principal()
        self.project_id = project_id_from_path(self.router.url.path)
        self.new_secret = ""
        self.form_error = ""
        self.action_error = ""
        try:
            self._reload()
        except ServiceError:
            self.not_found = True
            return
        self.not_found = False

    def _reload(self) -> None:
        principal = self.require_principal()
        with session_scope(acting_as=principal.user_id) as session:
            project: Project = access.get_project(
                session, principal, self.project_id, need="manage"
            )
            self.project_name = project.name
            self.hooks = [
                HookRow(str(h.id), h.url, ", ".join(h.events))
                for h in webhooks.list_webhooks(session, principal, project.id)
            ]
            page = webhooks.list_deliveries(session, principal, project.id, limit=LOG_PAGE_SIZE)
            self.delivery_total = page.total
            self.deliveries = [
                DeliveryRow(
                    id=str(d.id),
                    when=_when(d.last_attempt_at or d.created_at),
                    event=d.event_type,
                    status=d.status,
                    code=str(d.response_code) if d.response_code is not None else "—",
                    attempts=d.attempts,
                    detail=d.last_error
                    or (f"next try {_when(d.next_attempt_at)}" if d.status == "pending" else ""),
                )
                for d in page.items
            ]

    @rx.event
    def add_webhook(self, form_data: dict[str, Any]) -> Iterator:
        self.form_error = ""
        events = [name for name in WEBHOOK_EVENTS if form_data.get(name) in ("on", True, "true")]
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                _, secret = webhooks.create_webhook(
                    session,
                    principal,
                    self.project_id,
                    url=form_data.get("url", ""),
                    events=events,
                )
            self._reload()
        except ServiceError as exc:
            self.form_error = exc.message
            return
        self.new_secret = secret
        yield rx.set_value("webhook-url", "")

    @rx.event
    def delete_webhook(self, webhook_id: str):
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                webhooks.delete_webhook(session, principal, webhook_id)
            self._reload()
        except ServiceError as exc:
            self.action_error = exc.message

    @rx.event
    def redeliver(self, delivery_id: str):
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                webhooks.redeliver(session, principal, delivery_id)
            self._reload()
        except ServiceError as exc:
            self.action_error = exc.message
            return
        return rx.toast.success("Queued again: it is sent within seconds.")

    @rx.event
    def refresh(self):
        try:
            self._reload()
        except ServiceError as exc:
            self.action_error = exc.message

    @rx.event
    def dismiss_secret(self):
        self.new_secret = ""
