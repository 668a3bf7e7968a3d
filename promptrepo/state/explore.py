"""The public gallery's state: one page of public projects (search, sort, paging in SQL)."""

import dataclasses

import reflex as rx

from promptrepo import routes
from promptrepo.formatting import format_when
from promptrepo.services import forks, gallery
from promptrepo.services.errors import PlanLimitReached, ServiceError
from promptrepo.state.base import AppState
from promptrepo.state.scope import user_session

PER_PAGE = 18


@dataclasses.dataclass
class GalleryCard:
    id: str = ""
    name: str = ""
    description: str = ""
    owner_name: str = ""
    owner_id: str = ""
    segment_count: int = 0
    prompt_count: int = 0
    fork_count: int = 0
    updated: str = ""
    url: str = ""


class ExploreState(AppState):
    cards: list[GalleryCard] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    search: str = ""
    sort: str = "popular"
    loaded: bool = False
    limit_message: str = ""

    def _load_page(self) -> None:
        with user_session(None) as session:
            result = gallery.list_public_projects(
                session,
                search=self.search,
                sort=self.sort if self.sort in ("popular", "updated", "name") else "popular",
                page=self.page,
                per_page=PER_PAGE,
            )
        self.cards = [
            GalleryCard(
                id=item.id,
                name=item.name,
                description=item.description,
                owner_name=item.owner_name,
                owner_id=item.owner_id,
                segment_count=item.segment_count,
                prompt_count=item.prompt_count,
                fork_count=item.fork_count,
                updated=format_when(item.updated_at),
                url=routes.project_url(item.id),
            )
            for item in result.items
        ]
        self.total = result.total
        self.pages = result.pages
        self.loaded = True

    @rx.event
    def load(self):
        self.page_principal()  # the navbar shows who is signed in
        self._load_page()

    @rx.event
    def set_search(self, value: str):
        self.search = value[:100]
        self.page = 1
        self._load_page()

    @rx.event
    def set_sort(self, value: str):
        self.sort = value if value in ("popular", "updated", "name") else "popular"
        self.page = 1
        self._load_page()

    @rx.event
    def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        self._load_page()

    @rx.event
    def fork(self, project_id: str):
        """Fork a public project into the signed-in user's account and open the fork."""
        principal = self.principal()
        if principal is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.EXPLORE}")
        try:
            with user_session(principal) as session:
                fork = forks.fork_project(session, principal, project_id)
        except PlanLimitReached as exc:
            self.limit_message = exc.message
            return None
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return [
            rx.toast.success(f'Forked into your account as "{fork.name}".'),
            rx.redirect(routes.project_url(str(fork.id))),
        ]
