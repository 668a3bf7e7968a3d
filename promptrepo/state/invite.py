"""/invites/[token]: the invitation page's state. The token comes from the URL; accepting or
declining goes through services/members.py, which checks the signed-in address."""

import reflex as rx

from promptrepo import routes
from promptrepo.formatting import format_when
from promptrepo.services import members
from promptrepo.services.errors import ServiceError
from promptrepo.state.base import AppState
from promptrepo.state.scope import user_session


class InviteState(AppState):
    invite_loaded: bool = False
    invite_error: str = ""
    project_name: str = ""
    invited_by: str = ""
    invited_email: str = ""
    invited_role: str = ""
    invite_status: str = ""
    expires: str = ""
    answering: bool = False

    def _token(self) -> str:
        parts = [p for p in self.router.url.path.split("/") if p]
        return parts[1] if len(parts) == 2 and parts[0] == "invites" else ""

    @rx.event
    def load_invite(self):
        """on_load: signed out, go to sign-in and come back; otherwise show the invitation."""
        self.invite_loaded, self.invite_error, self.answering = False, "", False
        self.project_name = ""
        principal = self.page_principal()
        if principal is None:
            return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")
        try:
            with user_session(principal) as session:
                view = members.get_invite(session, principal, self._token())
        except ServiceError as exc:
            self.invite_error = exc.message
            self.invite_loaded = True
            return None
        self.project_name = view.project_name
        self.invited_by = view.invited_by_name
        self.invited_email = view.email
        self.invited_role = view.role
        self.invite_status = view.status
        self.expires = format_when(view.expires_at)
        self.invite_loaded = True
        return None

    @rx.event
    def accept(self):
        self.answering = True
        principal = self.principal()
        try:
            with user_session(principal) as session:
                project_id = members.accept_invite(session, principal, self._token())
        except ServiceError as exc:
            self.answering = False
            self.invite_error = exc.message
            return None
        return [
            rx.redirect(routes.project_url(str(project_id))),
            rx.toast.success(f"You joined “{self.project_name}” as {self.invited_role}."),
        ]

    @rx.event
    def decline(self):
        self.answering = True
        principal = self.principal()
        try:
            with user_session(principal) as session:
                members.decline_invite(session, principal, self._token())
        except ServiceError as exc:
            self.answering = False
            self.invite_error = exc.message
            return None
        self.answering = False
        self.invite_status = "declined"
        return rx.toast.info("Invitation declined.")
