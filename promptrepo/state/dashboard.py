"""The dashboard's state: one page of the user's projects, and the dialogs that change them.
A search also lists one page of the user's prompts matching by name or content.

Only the current page (at most PER_PAGE small rows) lives in the state; search, sort and
paging run in SQL through `services.projects.list_projects`. Open dashboards follow the
user's fan-out topic and refresh when any of their projects changes anywhere.
"""

import dataclasses

import reflex as rx

from promptrepo import routes
from promptrepo.formatting import format_when
from promptrepo.services import forks, projects, search, tags, transfer
from promptrepo.services.changes import user_topic
from promptrepo.services.errors import PlanLimitReached, ServiceError
from promptrepo.services.principal import Principal
from promptrepo.state.base import AppState
from promptrepo.state.live import follow, new_follower_id
from promptrepo.state.scope import user_session

PER_PAGE = 20
PROMPTS_PER_PAGE = 10
ALL_TAGS = "__all__"
UPLOAD_ID = "import-upload"
IMPORT_MAX_BYTES = transfer.MAX_DOCUMENT_BYTES


@dataclasses.dataclass
class ProjectRow:
    id: str = ""
    name: str = ""
    description: str = ""
    is_public: bool = False
    segment_count: int = 0
    prompt_count: int = 0
    fork_count: int = 0
    updated: str = ""
    url: str = ""
    role: str = "owner"  # mine, or shared with me as editor or viewer
    owner_name: str = ""


def to_row(item: projects.ProjectSummary) -> ProjectRow:
    return ProjectRow(
        id=item.id,
        name=item.name,
        description=item.description,
        is_public=item.is_public,
        segment_count=item.segment_count,
        prompt_count=item.prompt_count,
        fork_count=item.fork_count,
        updated=format_when(item.updated_at),
        url=routes.project_url(item.id),
        role=item.role or "owner",
        owner_name=item.owner_name,
    )


@dataclasses.dataclass
class PromptHitRow:
    id: str = ""
    name: str = ""
    project_name: str = ""
    segment_name: str = ""
    snippet: str = ""
    url: str = ""
    tags: list[str] = dataclasses.field(default_factory=list)


def to_hit_row(hit: search.PromptHit) -> PromptHitRow:
    return PromptHitRow(
        id=hit.prompt_id,
        name=hit.prompt_name,
        project_name=hit.project_name,
        segment_name=hit.segment_name,
        snippet=hit.snippet,
        url=routes.prompt_editor_url(hit.project_id, hit.prompt_id),
        tags=list(hit.tags),
    )


class DashboardState(AppState):
    rows: list[ProjectRow] = []
    # The search also finds prompts by name and content (services/search.py), paged apart.
    prompt_hits: list[PromptHitRow] = []
    prompt_total: int = 0
    prompt_page: int = 1
    prompt_pages: int = 1
    total: int = 0
    page: int = 1
    pages: int = 1
    search: str = ""
    # "" or one of `tag_options`: the prompt results show only prompts with this tag
    tag_filter: str = ""
    tag_options: list[str] = []
    sort: str = "updated"
    loaded: bool = False

    # Dialogs. `dialog` is "", "create", "edit", "delete" or "import".
    dialog: str = ""
    target_id: str = ""
    target_name: str = ""
    target_description: str = ""
    target_public: bool = False
    form_error: str = ""
    limit_message: str = ""
    import_text: str = ""
    import_errors: list[str] = []
    busy: bool = False
    _follower: str = ""

    # ------------------------------------------------------------------ loading
    def _load_page(self, principal: Principal) -> None:
        with user_session(principal) as session:
            result = projects.list_projects(
                session,
                principal,
                search=self.search,
                sort="name" if self.sort == "name" else "updated",
                page=self.page,
                per_page=PER_PAGE,
            )
            if not result.items and result.total and self.page > 1:
                # The page emptied (deletions elsewhere): show the last one instead.
                self.page = result.pages
                result = projects.list_projects(
                    session,
                    principal,
                    search=self.search,
                    sort="name" if self.sort == "name" else "updated",
                    page=self.page,
                    per_page=PER_PAGE,
                )
            self.tag_options = tags.user_tags(session, principal)
            if self.tag_filter not in self.tag_options:
                self.tag_filter = ""
            hits = search.search_prompts(
                session,
                principal,
                self.search,
                page=self.prompt_page,
                per_page=PROMPTS_PER_PAGE,
                tag=self.tag_filter or None,
            )
            if not hits.items and hits.total and self.prompt_page > 1:
                self.prompt_page = hits.pages
                hits = search.search_prompts(
                    session,
                    principal,
                    self.search,
                    page=self.prompt_page,
                    per_page=PROMPTS_PER_PAGE,
                    tag=self.tag_filter or None,
                )
        self.rows = [to_row(item) for item in result.items]
        self.total = result.total
        self.pages = result.pages
        self.prompt_hits = [to_hit_row(hit) for hit in hits.items]
        self.prompt_total = hits.total
        self.prompt_pages = hits.pages
        self.loaded = True

    def _refresh(self) -> None:
        principal = self.principal()
        if principal is not None:
            self._load_page(principal)

    @rx.event
    def load(self):
        """on_load: the first page (or the page/search/sort the tab was on)."""
        principal = self.page_principal()
        if principal is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.DASHBOARD}")
        self.dialog = ""
        self._load_page(principal)
        self._follower = new_follower_id()
        return DashboardState.watch(self._follower)

    @rx.event(background=True, supersedes=True)
    async def watch(self, follower_id: str):
        """Follow `user:<id>` while this tab shows the dashboard; refresh on every change."""
        async with self:
            user_id = self.user_id
        if not user_id:
            return
        await follow(
            self,
            user_topic(user_id),
            refresh=self._refresh,
            still_wanted=lambda: (
                self._follower == follower_id
                and self.user_id == user_id
                and self.router.url.path.rstrip("/") == routes.DASHBOARD
            ),
        )

    @rx.event
    def set_search(self, value: str):
        self.search = value[:100]
        self.page = 1
        self.prompt_page = 1
        self._refresh()

    @rx.event
    def set_tag_filter(self, value: str):
        """ "all" (the select's no-filter item) or a tag the user has."""
        self.tag_filter = "" if value == ALL_TAGS else value
        self.prompt_page = 1
        self._refresh()

    @rx.event
    def set_sort(self, value: str):
        self.sort = "name" if value == "name" else "updated"
        self.page = 1
        self._refresh()

    @rx.event
    def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        self._refresh()

    @rx.event
    def next_page(self):
        return DashboardState.go_to_page(self.page + 1)

    @rx.event
    def previous_page(self):
        return DashboardState.go_to_page(self.page - 1)

    @rx.event
    def go_to_prompt_page(self, page: int):
        self.prompt_page = max(1, min(int(page), self.prompt_pages))
        self._refresh()

    # ------------------------------------------------------------------ dialogs
    def _open(self, dialog: str, row: ProjectRow | None = None) -> None:
        self.dialog = dialog
        self.form_error = ""
        self.limit_message = ""
        self.import_errors = []
        if row is not None:
            self.target_id = row.id
            self.target_name = row.name
            self.target_description = row.description
            self.target_public = row.is_public

    def _row(self, project_id: str) -> ProjectRow | None:
        return next((r for r in self.rows if r.id == project_id), None)

    @rx.event
    def open_create(self):
        self._open("create")
        self.target_public = False

    @rx.event
    def open_edit(self, project_id: str):
        self._open("edit", self._row(project_id))

    @rx.event
    def open_delete(self, project_id: str):
        self._open("delete", self._row(project_id))

    @rx.event
    def open_import(self):
        self._open("import")
        self.import_text = ""

    @rx.event
    def set_dialog_open(self, is_open: bool):
        if not is_open:
            self.dialog = ""

    @rx.event
    def close_dialog(self):
        self.dialog = ""

    @rx.event
    def set_target_public(self, value: bool):
        self.target_public = bool(value)

    @rx.event
    def set_import_text(self, value: str):
        self.import_text = value

    # ------------------------------------------------------------------ changes
    def _fail(self, exc: ServiceError) -> None:
        if isinstance(exc, PlanLimitReached):
            self.limit_message = exc.message
            self.form_error = ""
        else:
            self.form_error = exc.message

    @rx.event
    def create(self, form: dict):
        principal = self.require_principal()
        try:
            with user_session(principal) as session:
                project = projects.create_project(
                    session,
                    principal,
                    name=form.get("name", ""),
                    description=form.get("description", ""),
                    is_public=self.target_public,
                )
        except ServiceError as exc:
            self._fail(exc)
            return
        self.dialog = ""
        return [
            rx.toast.success(f'Project "{project.name}" created.'),
            rx.redirect(routes.project_url(str(project.id))),
        ]

    @rx.event
    def save_edit(self, form: dict):
        principal = self.require_principal()
        try:
            with user_session(principal) as session:
                project = projects.update_project(
                    session,
                    principal,
                    self.target_id,
                    name=form.get("name", ""),
                    description=form.get("description", ""),
                    is_public=self.target_public,
                )
        except ServiceError as exc:
            self._fail(exc)
            return
        self.dialog = ""
        self._load_page(principal)
        return rx.toast.success(f'Saved "{project.name}".')

    @rx.event
    def toggle_public(self, project_id: str):
        principal = self.require_principal()
        row = self._row(project_id)
        if row is None:
            return
        try:
            with user_session(principal) as session:
                projects.update_project(session, principal, project_id, is_public=not row.is_public)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self._load_page(principal)
        return rx.toast.success(f'"{row.name}" is now {"private" if row.is_public else "public"}.')

    @rx.event
    def duplicate(self, project_id: str):
        principal = self.require_principal()
        try:
            with user_session(principal) as session:
                copy = forks.duplicate_project(session, principal, project_id)
        except PlanLimitReached as exc:
            self._open("")
            self.limit_message = exc.message
            return
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self.limit_message = ""
        self._load_page(principal)
        return rx.toast.success(f'Created "{copy.name}".')

    @rx.event
    def confirm_delete(self):
        principal = self.require_principal()
        try:
            with user_session(principal) as session:
                projects.delete_project(session, principal, self.target_id)
        except ServiceError as exc:
            self.form_error = exc.message
            return
        self.dialog = ""
        self._load_page(principal)
        return rx.toast.success(f'Deleted "{self.target_name}".')

    def _import(self, text: str):
        principal = self.require_principal()
        self.import_errors = []
        self.form_error = ""
        try:
            with user_session(principal) as session:
                project = transfer.import_project(session, principal, text)
        except PlanLimitReached as exc:
            self.limit_message = exc.message
            return
        except ServiceError as exc:
            self.form_error = exc.message.split("\n", 1)[0]
            self.import_errors = [
                f"{transfer.format_location(e.get('loc', []))}: {e.get('msg', '')}"
                for e in exc.errors
            ] or [exc.message]
            return
        self.dialog = ""
        self.import_text = ""
        self._load_page(principal)
        return [
            rx.toast.success(f'Imported "{project.name}".'),
            rx.redirect(routes.project_url(str(project.id))),
        ]

    @rx.event
    def import_pasted(self):
        return self._import(self.import_text)

    @rx.event
    def import_rejected(self, rejected: list[dict]):
        """The browser refused the chosen file before sending it (too large, wrong type)."""
        self.form_error = transfer.rejected_upload_message(rejected)

    @rx.event
    async def import_upload(self, files: list[rx.UploadFile]):
        if not files:
            self.form_error = "Choose a JSON or YAML file first."
            return
        data = await files[0].read()
        if len(data) > transfer.MAX_DOCUMENT_BYTES:
            self.form_error = transfer.too_large_message(len(data))
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.form_error = "That file is not UTF-8 text: export it again from PromptRepo."
            return
        return self._import(text)
