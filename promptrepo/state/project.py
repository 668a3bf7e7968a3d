"""The project page's state: segments and prompts in order, the composed text, and changes.

Every handler re-checks the signed-in user through the services (another user's private
project is "not found"); the view follows `project:<id>` and refreshes whenever the project
changes elsewhere (another tab, another device, the REST API).
"""

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from promptrepo import routes
from promptrepo.formatting import format_when
from promptrepo.services import forks, projects, prompts, segments, transfer
from promptrepo.services.changes import project_topic
from promptrepo.services.errors import NotFound, PlanLimitReached, ServiceError
from promptrepo.services.principal import Principal
from promptrepo.state.base import AppState
from promptrepo.state.live import follow, new_follower_id
from promptrepo.state.scope import user_session

PROJECT_PATH = re.compile(r"^/projects/([0-9a-fA-F-]{36})/?$")
PREVIEW_CHARS = 160
ALL_TAGS = "__all__"


@dataclasses.dataclass
class PromptView:
    id: str = ""
    name: str = ""
    segment_id: str = ""
    preview: str = ""
    url: str = ""
    published: str = ""
    is_first: bool = False
    is_last: bool = False
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class SegmentView:
    id: str = ""
    name: str = ""
    prompts: list[PromptView] = dataclasses.field(default_factory=list)
    is_first: bool = False
    is_last: bool = False


@dataclasses.dataclass
class SegmentChoice:
    id: str = ""
    name: str = ""


def _preview(content: str) -> str:
    text = " ".join(content.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def project_id_from_path(path: str) -> str:
    match = PROJECT_PATH.match(path or "")
    return match.group(1).lower() if match else ""


class ProjectState(AppState):
    loaded: bool = False
    not_found: bool = False
    current_id: str = ""
    name: str = ""
    description: str = ""
    is_public: bool = False
    is_owner: bool = False
    # The signed-in user's role here: owner, editor, viewer, or "" (a public project's reader).
    role: str = ""
    can_edit: bool = False
    owner_name: str = ""
    fork_count: int = 0
    forked_from_id: str = ""
    forked_from_name: str = ""
    updated: str = ""
    segments: list[SegmentView] = []
    segment_choices: list[SegmentChoice] = []
    prompt_total: int = 0
    # "" or one of `tag_options`: the structure shows only the prompts with this tag
    tag_filter: str = ""
    tag_options: list[str] = []
    # The composed text can be long: it is sent to the browser only while its tab is open.
    composed: str = ""
    _composed: str = ""
    tab: str = "structure"

    # Dialogs: "", "rename", "delete", "add_prompt".
    dialog: str = ""
    target_kind: str = ""  # "segment" | "prompt"
    target_id: str = ""
    target_name: str = ""
    form_error: str = ""
    limit_message: str = ""

    # What is being dragged (backend only: nothing to send to the browser).
    _drag_kind: str = ""
    _drag_id: str = ""
    _follower: str = ""

    # ------------------------------------------------------------------ loading
    def _show(self, detail: projects.ProjectDetail) -> None:
        self.not_found = False
        self.name = detail.name
        self.description = detail.description
        self.is_public = detail.is_public
        self.is_owner = detail.is_owner
        self.role = detail.role
        self.can_edit = detail.role in ("owner", "editor")
        self.owner_name = detail.owner_name
        self.fork_count = detail.fork_count
        self.forked_from_id = detail.forked_from_id or ""
        self.forked_from_name = detail.forked_from_name or ""
        self.updated = format_when(detail.updated_at)
        views = []
        last_segment = len(detail.segments) - 1
        self.tag_options = sorted({t for s in detail.segments for p in s.prompts for t in p.tags})
        if self.tag_filter not in self.tag_options:
            self.tag_filter = ""
        for s_index, segment in enumerate(detail.segments):
            last_prompt = len(segment.prompts) - 1
            views.append(
                SegmentView(
                    id=segment.id,
                    name=segment.name,
                    is_first=s_index == 0,
                    is_last=s_index == last_segment,
                    prompts=[
                        PromptView(
                            id=p.id,
                            name=p.name,
                            segment_id=segment.id,
                            preview=_preview(p.content),
                            url=routes.prompt_editor_url(detail.id, p.id),
                            published=f"v{p.published_version}" if p.published_version else "",
                            is_first=p_index == 0,
                            is_last=p_index == last_prompt,
                            tags=list(p.tags),
                        )
                        for p_index, p in enumerate(segment.prompts)
                        if not self.tag_filter or self.tag_filter in p.tags
                    ],
                )
            )
        self.segments = views
        self.segment_choices = [SegmentChoice(id=s.id, name=s.name) for s in detail.segments]
        self.prompt_total = detail.prompt_count
        self._composed = projects.compose_text(detail)
        self.composed = self._composed if self.tab == "composed" else ""
        self.loaded = True

    def _hide(self) -> None:
        self.not_found = True
        self.loaded = True
        self.segments = []
        self.segment_choices = []
        self.composed = self._composed = ""
        self.name = ""

    def _refresh(self, principal: Principal | None = None) -> None:
        if not self.current_id:
            return
        if principal is None:
            principal = self.principal()
        try:
            with user_session(principal) as session:
                detail = projects.get_project_detail(session, principal, self.current_id)
        except NotFound:
            self._hide()
            return
        self._show(detail)

    @rx.event
    def load(self):
        """on_load: read the project named in the URL (owner, or anyone when it is public)."""
        project_id = project_id_from_path(self.router.url.path)
        if project_id != self.current_id:
            self.tab = "structure"
            self.segments = []
            self.tag_filter = ""
            self.loaded = False
        self.current_id = project_id
        self.dialog = ""
        self.limit_message = ""
        if not project_id:
            self._hide()
            return
        self._refresh(self.page_principal())
        self._follower = new_follower_id()
        if not self.not_found:
            return ProjectState.watch(self._follower)

    @rx.event
    def set_tag_filter(self, value: str):
        """ALL_TAGS (no filter) or one of the project's tags."""
        self.tag_filter = "" if value == ALL_TAGS else value
        self._refresh()

    @rx.event(background=True, supersedes=True)
    async def watch(self, follower_id: str):
        """Follow `project:<id>` while this tab shows the project; refresh on every change."""
        async with self:
            project_id = self.current_id
        if not project_id:
            return
        await follow(
            self,
            project_topic(project_id),
            refresh=self._refresh,
            still_wanted=lambda: (
                self._follower == follower_id
                and self.current_id == project_id
                and project_id_from_path(self.router.url.path) == project_id
            ),
        )

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab if tab in ("structure", "composed") else "structure"
        self.composed = self._composed if self.tab == "composed" else ""

    # ------------------------------------------------------------------ changes
    def _change(self, action: Callable[[Session, Principal], Any], success: str = ""):
        """Run a service change as the signed-in user, then show the fresh project."""
        principal = self.principal()
        if principal is None:
            return rx.toast.error("Please log in to change this project.")
        self.form_error = ""
        try:
            with user_session(principal) as session:
                action(session, principal)
        except PlanLimitReached as exc:
            self.limit_message = exc.message
            return None
        except ServiceError as exc:
            self._refresh(principal)
            if self.dialog:
                self.form_error = exc.message
                return None
            return rx.toast.error(exc.message)
        self.dialog = ""
        self._refresh(principal)
        return rx.toast.success(success) if success else None

    def _index_of_segment(self, segment_id: str) -> int:
        return next((i for i, s in enumerate(self.segments) if s.id == segment_id), -1)

    def _locate_prompt(self, prompt_id: str) -> tuple[int, int]:
        for s_index, segment in enumerate(self.segments):
            for p_index, prompt in enumerate(segment.prompts):
                if prompt.id == prompt_id:
                    return s_index, p_index
        return -1, -1

    @rx.event
    def add_segment(self, form: dict):
        name = form.get("name", "")
        return self._change(
            lambda s, p: segments.create_segment(s, p, self.current_id, name=name),
        )

    @rx.event
    def move_segment(self, segment_id: str, delta: int):
        index = self._index_of_segment(segment_id)
        if index < 0 or index + delta < 0:
            return
        return self._change(lambda s, p: segments.move_segment(s, p, segment_id, index + delta))

    @rx.event
    def move_prompt(self, prompt_id: str, delta: int):
        _, index = self._locate_prompt(prompt_id)
        if index < 0 or index + delta < 0:
            return
        return self._change(
            lambda s, p: prompts.move_prompt(s, p, prompt_id, new_index=index + delta)
        )

    @rx.event
    def move_prompt_to_segment(self, prompt_id: str, segment_id: str):
        s_index, _ = self._locate_prompt(prompt_id)
        if s_index < 0 or self.segments[s_index].id == segment_id:
            return
        return self._change(
            lambda s, p: prompts.move_prompt(s, p, prompt_id, segment_id=segment_id, new_index=-1),
            "Prompt moved.",
        )

    # Drag and drop (native HTML5 events); the keyboard has the move buttons.
    @rx.event
    def drag_start(self, kind: str, item_id: str):
        self._drag_kind, self._drag_id = kind, item_id

    @rx.event
    def drop_on_segment(self, segment_id: str):
        kind, item_id = self._drag_kind, self._drag_id
        self._drag_kind = self._drag_id = ""
        target = self._index_of_segment(segment_id)
        if not item_id or target < 0 or item_id == segment_id:
            return
        if kind == "segment":
            return self._change(lambda s, p: segments.move_segment(s, p, item_id, target))
        if kind == "prompt":
            return self._change(
                lambda s, p: prompts.move_prompt(s, p, item_id, segment_id=segment_id, new_index=-1)
            )

    @rx.event
    def drop_on_prompt(self, prompt_id: str):
        kind, item_id = self._drag_kind, self._drag_id
        self._drag_kind = self._drag_id = ""
        s_index, p_index = self._locate_prompt(prompt_id)
        if not item_id or s_index < 0 or item_id == prompt_id:
            return
        segment_id = self.segments[s_index].id
        if kind == "segment":
            return self._change(lambda s, p: segments.move_segment(s, p, item_id, s_index))
        if kind == "prompt":
            return self._change(
                lambda s, p: prompts.move_prompt(
                    s, p, item_id, segment_id=segment_id, new_index=p_index
                )
            )

    # Dialogs
    @rx.event
    def open_dialog(self, dialog: str, kind: str, item_id: str, name: str):
        self.dialog = dialog
        self.target_kind = kind
        self.target_id = item_id
        self.target_name = name
        self.form_error = ""
        self.limit_message = ""

    @rx.event
    def set_dialog_open(self, is_open: bool):
        if not is_open:
            self.dialog = ""

    @rx.event
    def rename(self, form: dict):
        name = form.get("name", "")
        item_id = self.target_id
        if self.target_kind == "segment":
            return self._change(lambda s, p: segments.rename_segment(s, p, item_id, name))
        return self._change(lambda s, p: prompts.rename_prompt(s, p, item_id, name))

    @rx.event
    def add_prompt(self, form: dict):
        name = form.get("name", "")
        segment_id = self.target_id
        return self._change(lambda s, p: prompts.create_prompt(s, p, segment_id, name=name))

    @rx.event
    def confirm_delete(self):
        item_id, name = self.target_id, self.target_name
        if self.target_kind == "segment":
            return self._change(
                lambda s, p: segments.delete_segment(s, p, item_id), f'Deleted "{name}".'
            )
        return self._change(lambda s, p: prompts.delete_prompt(s, p, item_id), f'Deleted "{name}".')

    @rx.event
    def set_public(self, value: bool):
        public = bool(value)
        return self._change(
            lambda s, p: projects.update_project(s, p, self.current_id, is_public=public),
            "The project is now public." if public else "The project is now private.",
        )

    @rx.event
    def fork(self):
        principal = self.principal()
        if principal is None:
            return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")
        try:
            with user_session(principal) as session:
                fork = forks.fork_project(session, principal, self.current_id)
        except PlanLimitReached as exc:
            self.limit_message = exc.message
            return None
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return [
            rx.toast.success(f'Forked into your account as "{fork.name}".'),
            rx.redirect(routes.project_url(str(fork.id))),
        ]

    @rx.event
    def export(self, fmt: str):
        if fmt not in ("json", "yaml", "markdown"):
            return None
        principal = self.principal()
        try:
            with user_session(principal) as session:
                text = transfer.export_project(session, principal, self.current_id, fmt)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return rx.download(
            data=text.encode("utf-8"),
            filename=transfer.export_filename(self.name, fmt),
            mime_type={
                "json": "application/json",
                "yaml": "application/yaml",
                "markdown": "text/markdown",
            }[fmt],
        )
