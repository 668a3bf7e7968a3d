"""The project page's Team dialog: who is in the project, and (for the owner) inviting,
changing roles, removing, withdrawing invitations and handing the project over; members
may leave. Every handler goes through services/members.py, which checks the role again."""

import dataclasses
from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from promptrepo import routes
from promptrepo.formatting import format_when
from promptrepo.services import members, reviews
from promptrepo.services.errors import PlanLimitReached, ServiceError
from promptrepo.services.principal import Principal
from promptrepo.state.project import ProjectState
from promptrepo.state.scope import user_session


@dataclasses.dataclass
class PersonView:
    user_id: str = ""
    name: str = ""
    email: str = ""
    role: str = ""
    is_me: bool = False


@dataclasses.dataclass
class InviteRow:
    id: str = ""
    email: str = ""
    role: str = ""
    expires: str = ""


class MembersState(ProjectState):
    team_open: bool = False
    team_loading: bool = False
    team_error: str = ""
    my_role: str = ""
    people: list[PersonView] = []
    pending: list[InviteRow] = []
    invite_email: str = ""
    invite_role: str = "editor"
    invite_error: str = ""
    invite_link: str = ""
    review_required: bool = False  # "production needs review" (services/reviews.py)
    # A confirmation in progress: "remove", "transfer" or "leave", and whom it is about.
    confirming: str = ""
    confirm_user_id: str = ""
    confirm_name: str = ""

    def _load_team(self, principal: Principal | None) -> None:
        self.team_error = ""
        try:
            with user_session(principal) as session:
                team = members.list_team(session, principal, self.current_id)
        except ServiceError as exc:
            self.team_error = exc.message
            self.people, self.pending = [], []
            return
        me = str(principal.user_id) if principal else ""
        self.my_role = team.my_role
        self.review_required = team.production_needs_review
        self.people = [
            PersonView(
                user_id=p.user_id,
                name=p.name or p.email,
                email=p.email,
                role=p.role,
                is_me=p.user_id == me,
            )
            for p in team.people
        ]
        self.pending = [
            InviteRow(id=i.id, email=i.email, role=i.role, expires=format_when(i.expires_at))
            for i in team.invites
        ]

    @rx.event
    def open_team(self):
        self.team_open = True
        self.invite_error = self.invite_link = ""
        self.confirming = ""
        self._load_team(self.principal())

    @rx.event
    def close_team(self):
        """on_load: a page (re)load starts with the dialog closed."""
        self.team_open = False
        self.confirming = ""
        self.invite_link = ""

    @rx.event
    def set_team_open(self, value: bool):
        self.team_open = value
        if not value:
            self.confirming = ""

    @rx.event
    def set_invite_email(self, value: str):
        self.invite_email = value

    @rx.event
    def set_invite_role(self, value: str):
        self.invite_role = value

    def _act(self, action: Callable[[Session, Principal], Any], success: str):
        principal = self.principal()
        if principal is None:
            return rx.toast.error("Please log in.")
        try:
            with user_session(principal) as session:
                action(session, principal)
        except PlanLimitReached as exc:
            self.confirming = ""
            return rx.toast.error(exc.message)
        except ServiceError as exc:
            self.confirming = ""
            self._load_team(principal)
            return rx.toast.error(exc.message)
        self.confirming = ""
        self._load_team(principal)
        self._refresh(principal)
        return rx.toast.success(success)

    @rx.event
    def send_invite(self, form: dict):
        """Invite the address typed in; the form keeps it when the invitation is refused."""
        email = (form.get("email") or self.invite_email or "").strip()
        role = form.get("role") or self.invite_role
        self.invite_email = email
        self.invite_error = self.invite_link = ""
        principal = self.principal()
        try:
            with user_session(principal) as session:
                created = members.invite(
                    session, principal, self.current_id, email=email, role=role
                )
        except ServiceError as exc:
            self.invite_error = exc.message
            return None
        self.invite_email = ""
        self.invite_link = created.link
        self._load_team(principal)
        sent = "sent" if created.mailed else "ready (no mail server here: copy the link)"
        return rx.toast.success(f"Invitation to {created.email} {sent}.")

    @rx.event
    def set_review_required(self, value: bool):
        """The owner's switch: production moves only through approved proposals."""
        on = bool(value)
        return self._act(
            lambda s, p: reviews.set_review_required(s, p, self.current_id, on),
            "Production now needs another member's approval."
            if on
            else "Production moves without review again.",
        )

    @rx.event
    def withdraw_invite(self, invite_id: str):
        return self._act(
            lambda s, p: members.revoke_invite(s, p, invite_id), "Invitation withdrawn."
        )

    @rx.event
    def set_member_role(self, user_id: str, role: str):
        return self._act(
            lambda s, p: members.change_role(s, p, self.current_id, user_id, role),
            "Role changed.",
        )

    @rx.event
    def ask_remove_member(self, user_id: str, name: str):
        self.confirming, self.confirm_user_id, self.confirm_name = "remove", user_id, name

    @rx.event
    def ask_transfer(self, user_id: str, name: str):
        self.confirming, self.confirm_user_id, self.confirm_name = "transfer", user_id, name

    @rx.event
    def ask_leave(self):
        self.confirming, self.confirm_user_id, self.confirm_name = "leave", "", ""

    @rx.event
    def cancel_confirm(self):
        self.confirming = ""

    @rx.event
    def confirm(self):
        """Carry out the confirmed removal, transfer or leave."""
        kind, user_id = self.confirming, self.confirm_user_id
        if kind == "remove":
            return self._act(
                lambda s, p: members.remove_member(s, p, self.current_id, user_id),
                f"{self.confirm_name} was removed.",
            )
        if kind == "transfer":
            return self._act(
                lambda s, p: members.transfer_ownership(s, p, self.current_id, user_id),
                f"{self.confirm_name} now owns this project; you are an editor.",
            )
        if kind == "leave":
            principal = self.principal()
            try:
                with user_session(principal) as session:
                    members.leave_project(session, principal, self.current_id)
            except ServiceError as exc:
                self.confirming = ""
                return rx.toast.error(exc.message)
            self.confirming = ""
            self.team_open = False
            return [rx.redirect(routes.DASHBOARD), rx.toast.success("You left the project.")]
        return None
