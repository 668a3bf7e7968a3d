"""The billing page's state: the plan as it applies now, upgrade and manage buttons."""

from __future__ import annotations

import asyncio
import json

import reflex as rx

from promptrepo.db import session_scope, system_scope
from promptrepo.services import billing
from promptrepo.services.errors import ServiceError
from promptrepo.services.plans import PLANS
from promptrepo.state.base import AppState


class BillingState(AppState):
    plan_id: str = ""
    plan_name: str = ""
    status: str = ""
    period_end: str = ""
    has_subscription: bool = False
    has_customer: bool = False
    configured: bool = False
    busy: str = ""
    error: str = ""
    notice: str = ""
    loaded: bool = False
    # The plan chosen on /pricing (?plan=…), highlighted on this page.
    requested_plan: str = ""

    def _refresh(self) -> None:
        principal = self.require_principal()
        with session_scope(acting_as=principal.user_id) as session:
            overview = billing.get_overview(session, principal)
        self.plan_id = overview.plan.id
        self.plan_name = overview.plan.name
        self.status = overview.status
        self.period_end = (
            overview.current_period_end.strftime("%d %b %Y") if overview.current_period_end else ""
        )
        self.has_subscription = overview.has_subscription
        self.has_customer = overview.has_customer
        self.configured = billing.is_configured()
        self.loaded = True

    @rx.event
    def load(self):
        if self.page_principal() is None:
            return rx.redirect(f"/login?next={self.router.url.path}")
        self.error = ""
        self._refresh()
        params = self.router.url.query_parameters
        requested = params.get("plan", "")
        self.requested_plan = requested if requested in PLANS and requested != self.plan_id else ""
        outcome = params.get("checkout", "")
        if outcome == "success" and self.plan_id == "free":
            self.notice = "Payment received. Your plan changes as soon as Stripe confirms it…"
            return BillingState.wait_for_upgrade
        self.notice = "Checkout cancelled: nothing was charged." if outcome == "cancelled" else ""

    @rx.event(background=True)
    async def wait_for_upgrade(self):
        """After Checkout, poll our own database (fed by the webhook) for up to 30 s."""
        for _ in range(30):
            await asyncio.sleep(1)
            async with self:
                self._refresh()
                if self.plan_id != "free":
                    self.notice = f"You are now on the {self.plan_name} plan. Thank you!"
                    return
        async with self:
            self.notice = "Stripe has not confirmed the payment yet; reload this page in a minute."

    @rx.event
    def upgrade(self, plan_id: str):
        if plan_id not in PLANS:
            self.error = "Unknown plan."
            return
        self.busy, self.error = plan_id, ""
        yield
        try:
            principal = self.require_principal()
            with system_scope("billing-checkout") as session:
                url = billing.start_checkout(session, principal, plan_id)
        except ServiceError as exc:
            self.busy, self.error = "", exc.message
            return
        yield rx.call_script(f"window.location.assign({json.dumps(url)})")

    @rx.event
    def manage(self):
        self.busy, self.error = "portal", ""
        yield
        try:
            principal = self.require_principal()
            with system_scope("billing-checkout") as session:
                url = billing.open_portal(session, principal)
        except ServiceError as exc:
            self.busy, self.error = "", exc.message
            return
        yield rx.call_script(f"window.location.assign({json.dumps(url)})")
