"""States of the public marketing pages: the landing page's teaser and the pricing page's plan."""

from __future__ import annotations

import dataclasses

import reflex as rx

from promptrepo import routes
from promptrepo.db import session_scope
from promptrepo.services.gallery import list_public_projects
from promptrepo.services.plans import plan_for_user
from promptrepo.state.base import AppState

TEASER_SIZE = 6


@dataclasses.dataclass
class TeaserCard:
    id: str
    name: str
    description: str
    owner_name: str
    fork_count: int
    url: str


class LandingState(AppState):
    """Only the teaser: the few most-forked public projects."""

    top_projects: list[TeaserCard] = []
    teaser_loaded: bool = False

    @rx.event
    def load(self):
        """on_load of /: who is signed in (for the navbar) and the teaser."""
        self.page_principal()
        with session_scope() as session:
            # The gallery's own "popular" order (most forked first), first page only.
            teasers = list_public_projects(session, sort="popular", page=1, per_page=TEASER_SIZE)
        self.top_projects = [
            TeaserCard(
                id=t.id,
                name=t.name,
                description=t.description,
                owner_name=t.owner_name,
                fork_count=t.fork_count,
                url=routes.project_url(t.id),
            )
            for t in teasers.items
        ]
        self.teaser_loaded = True


class PricingState(AppState):
    """The signed-in user's current plan id ("" for visitors)."""

    current_plan_id: str = ""

    @rx.event
    def load(self):
        """on_load of /pricing: the plan whose limits apply to the user now."""
        principal = self.page_principal()
        if principal is None:
            self.current_plan_id = ""
            return
        with session_scope(acting_as=principal.user_id) as session:
            self.current_plan_id = plan_for_user(session, principal.user_id).id
