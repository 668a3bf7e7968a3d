"""State of the admin section. Every handler re-checks that the caller is an admin."""

from __future__ import annotations

import reflex as rx

from promptrepo.db import system_scope
from promptrepo.services import accounts, admin, analytics
from promptrepo.services.errors import ServiceError
from promptrepo.services.principal import require_admin
from promptrepo.state.base import AppState

ACTIONS = {
    "suspend": "Suspend",
    "unsuspend": "Lift the suspension of",
    "make_admin": "Make an admin of",
    "remove_admin": "Remove the admin role of",
}


class AdminUsersState(AppState):
    search: str = ""
    status: str = "all"
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: list[dict[str, str]] = []
    loading: bool = False
    # The pending action waiting for confirmation.
    pending_action: str = ""
    pending_user_id: str = ""
    pending_email: str = ""

    @rx.var
    def pending_label(self) -> str:
        return f"{ACTIONS.get(self.pending_action, '')} {self.pending_email}?"

    def _fetch(self) -> None:
        actor = require_admin(self.principal())
        with system_scope("admin") as session:
            result = admin.list_users(
                session, actor, search=self.search, status=self.status, page=self.page
            )
        self.page, self.pages, self.total = result.page, result.pages, result.total
        self.rows = [
            {
                "id": str(u.id),
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "plan": u.plan,
                "status": "suspended" if u.suspended else "active",
                "projects": str(u.project_count),
                "joined": u.created_at.strftime("%Y-%m-%d"),
                # accounts refuses suspending or demoting oneself; the row does not offer it
                "is_self": "yes" if u.id == actor.user_id else "",
            }
            for u in result.items
        ]

    @rx.event
    def load(self):
        principal = self.page_principal()
        if principal is None:
            return rx.redirect(f"/login?next={self.router.url.path}")
        if not principal.is_admin:
            return rx.redirect("/dashboard")
        self._fetch()

    @rx.event
    def set_search(self, value: str):
        self.search, self.page = value, 1
        self._fetch()

    @rx.event
    def set_status(self, value: str):
        self.status, self.page = value, 1
        self._fetch()

    @rx.event
    def go_to_page(self, page: int):
        self.page = page
        self._fetch()

    @rx.event
    def ask(self, action: str, user_id: str, email: str):
        self.pending_action, self.pending_user_id, self.pending_email = action, user_id, email

    @rx.event
    def cancel(self):
        self.pending_action = ""

    @rx.event
    def confirm(self):
        action, user_id, email = self.pending_action, self.pending_user_id, self.pending_email
        self.pending_action = ""
        try:
            actor = require_admin(self.principal())
            with system_scope("admin") as session:
                if action == "suspend":
                    accounts.suspend_user(session, actor, user_id)
                elif action == "unsuspend":
                    accounts.unsuspend_user(session, actor, user_id)
                elif action in ("make_admin", "remove_admin"):
                    role = "admin" if action == "make_admin" else "user"
                    accounts.set_role(session, actor, email, role)
                else:
                    return rx.toast.error("Unknown action.")
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self._fetch()
        return rx.toast.success("Done.")


PLAN_COLORS = {"free": "var(--gray-9)", "pro": "var(--violet-9)", "enterprise": "var(--amber-9)"}


class AdminAnalyticsState(AppState):
    totals: dict[str, int] = {}
    plans: list[dict[str, str | int]] = []
    plan_rows: list[list[str]] = []  # [name, "3 users · 60%", id] for every plan
    daily: list[dict[str, str | int]] = []
    recent: list[list[str]] = []  # [when, who (e-mail), action, what (by name)]
    loaded: bool = False

    @rx.event
    def load(self):
        principal = self.page_principal()
        if principal is None:
            return rx.redirect(f"/login?next={self.router.url.path}")
        if not principal.is_admin:
            return rx.redirect("/dashboard")
        with system_scope("admin") as session:
            result = analytics.get_analytics(session, principal)
        t = result.totals
        self.totals = {
            "Users": t.users,
            "Suspended": t.suspended_users,
            "Projects": t.projects,
            "Public projects": t.public_projects,
            "Prompts": t.prompts,
            "Versions": t.versions,
            "Published": t.published_versions,
        }
        mix = analytics.plan_mix(result.plans)
        # The pie draws only plans with users (a 0 wedge is drawn as a stray label); the
        # list beside it names every plan, with its count and share.
        self.plans = [
            {"plan": s.name, "users": s.users, "fill": PLAN_COLORS.get(s.plan_id, "var(--gray-9)")}
            for s in mix
            if s.users
        ]
        self.plan_rows = [[s.name, s.legend, s.plan_id] for s in mix]
        self.daily = [
            {"day": d.day[5:], "signups": d.signups, "projects": d.projects, "versions": d.versions}
            for d in result.daily
        ]
        self.recent = [list(r) for r in result.recent_actions]
        self.loaded = True
