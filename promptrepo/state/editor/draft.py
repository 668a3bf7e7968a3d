"""DraftState: the prompt's working copy — text, name, variable specs — its live preview and
badges, autosave, and the conflict flow when the draft was saved elsewhere.

Per keystroke the page gets its preview from the live channel (api/editor_live.py), not from
here: the code editor sends each text there, and sends it here (`edit_content`) about once a
burst — `settled`, once typing pauses (every 2 s, not settled, while it goes on) — plus when
the text's variables or syntax error change and before any other event of the page
(components/code_editor.jsx); until then the page itself says "Unsaved changes…".
`edit_content` keeps the text in a backend-only var and analyses it (cached by content); a
settled text it also renders with the example values and checks with the validators; the
preview, the stats and the badges go back with `live_seq`, the page's number for that text,
so the page shows whichever of the two previews is for the newer text. `live_context` is what
the channel renders with (specs, validators, dialect, invalid examples). Saving is a
background task (`autosave`): at once for a settled text, after a pause for other edits (the
name, variables, settings).

`edit_content`, `autosave`, `render_preview` and `watch` are DraftSyncState's, a leaf
substate at the end of this module (see there why).
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from typing import Any

import reflex as rx
from sqlmodel import Session

from promptrepo.db import session_scope
from promptrepo.services import (
    access,
    drafts,
    model_config,
    render_pool,
    templates,
    validators,
    versions,
)
from promptrepo.services import variables as variable_specs
from promptrepo.services.changes import project_topic
from promptrepo.services.errors import NotFound, ServiceError
from promptrepo.services.principal import Principal
from promptrepo.services.sessions import resolve_session_and_act_as
from promptrepo.state.editor.base import EditorState, chain, guarded
from promptrepo.state.editor.presence import PresenceState
from promptrepo.state.editor.rows import (
    DiffRow,
    ValidatorRow,
    VariableRow,
    diff_rows,
    row_from_spec,
)
from promptrepo.state.live import follow, new_follower_id

AUTOSAVE_DELAY_SECONDS = 0.8
# The autosave task notes the time at least every AUTOSAVE_DELAY_SECONDS (and around each
# save); after this long without a note it is taken for dead (e.g. its server was stopped)
# and the next keystroke starts another.
AUTOSAVE_STALE_SECONDS = 5.0
# How long a keystroke waits for its preview before handing the render to the background
# (`_render_inline`); the next keystroke waits at most this long behind it.
PREVIEW_INLINE_SECONDS = 0.05
HANDED_OVER_TTL_SECONDS = 10.0


class DraftState(EditorState):
    # the draft
    name: str = ""
    name_error: str = ""
    # The text a code editor starts with when it mounts (a new `editor_key` remounts it); the
    # editor is uncontrolled: keystrokes come here, the text does not go back.
    content_initial: str = ""
    editor_key: int = 0
    # The draft revision of `content_initial` when the editor last (re)mounted: the editor
    # sends it back with its text (`edit_content`'s `base`).
    content_revision: int = 0
    _loaded_prompt_id: uuid.UUID | None = None
    _content: str = ""
    _revision: int = 0
    _follower: str = ""  # the newest page load's watch; older ones end
    _dialect: str = templates.PLAIN_DIALECT
    # bumped by every change the preview depends on; a render shows only if still current
    _preview_seq: int = 0
    preview_pending: bool = False
    save_status: str = "saved"  # saved | unsaved | saving | error | conflict
    save_message: str = ""
    _dirty_at: float = 0.0
    # The code editor's text is settled (typing paused): the autosave saves without waiting.
    _save_requested: bool = False
    # The text an autosave is writing (while save_status is "saving"): a reload after that
    # save's server went away tells from it whether the save committed.
    _saving_content: str = ""
    _autosave_since: float = 0.0

    # analysis and preview
    syntax_error: str = ""
    syntax_line: int = 0
    syntax_line_text: str = ""
    preview_text: str = ""
    # The page's number of the text the preview above is for (see the module docstring).
    live_seq: int = 0
    # What the live channel renders with; set by `_render_preview` when it changes.
    live_context: dict[str, Any] = {}
    preview_error: str = ""
    preview_note: str = ""
    chars: int = 0
    words: int = 0
    lines: int = 0
    tokens: int = 0

    # what the preview is rendered with and checked against (edited by the substates)
    variable_rows: list[VariableRow] = []
    _spec: dict[str, Any] = {}
    _detected: list[str] = []
    _hints: dict[str, Any] = {}  # what the content's use of each variable implies
    validator_rows: list[ValidatorRow] = []
    _validators: list[dict[str, Any]] = []

    # model settings (edited by ModelSettingsState): the form as typed, and the last valid
    # config, which is what gets saved; an invalid form keeps its text and says why
    config_form: dict[str, str] = {}
    config_error: str = ""
    config_error_field: str = ""
    # None: not loaded by this code (a tab whose state predates the field, after a rolling
    # deploy); saves then leave the stored config alone instead of writing {} over it
    _config: dict[str, Any] | None = None

    # conflict
    conflict_open: bool = False
    conflict_rows: list[DiffRow] = []
    conflict_title: str = ""
    conflict_extra: list[str] = []
    _server_content: str = ""
    _server_revision: int = 0
    _server_name: str = ""
    _server_variables: dict[str, Any] = {}

    @rx.var
    def variable_names(self) -> list[str]:
        """Names the code editor completes."""
        return [row.name for row in self.variable_rows]

    @rx.var
    def failing_count(self) -> int:
        return sum(1 for row in self.validator_rows if not row.passed and not row.skipped)

    # ------------------------------------------------------------------ helpers
    def _note_edit(self) -> Any:
        """Note an edit and make sure the autosave task runs."""
        if not self.can_write:
            return None
        self._note_unsaved()
        if self.save_status == "conflict":
            return None
        return self._start_autosave()

    def _note_unsaved(self) -> None:
        """Note an edit: "unsaved", unless a conflict waits for a choice or a save is under
        way (it sees the new `_dirty_at` and goes round again; a second writer would
        conflict with it)."""
        self._dirty_at = time.time()
        if self.save_status not in ("conflict", "saving"):
            self.save_status = "unsaved"
            self.save_message = ""

    def _autosave_running(self) -> bool:
        """Whether an autosave task runs (one that has not noted the time for
        AUTOSAVE_STALE_SECONDS is taken for dead, e.g. its server was stopped)."""
        since = self._autosave_since
        return bool(since) and time.time() - since <= AUTOSAVE_STALE_SECONDS

    def _start_autosave(self) -> Any:
        """The autosave task (saving after a pause), unless one runs."""
        if self._autosave_running():
            return None
        self._autosave_since = time.time()
        return DraftSyncState.autosave(AUTOSAVE_DELAY_SECONDS)

    def _begin_save(self) -> tuple[float, dict[str, Any]]:
        """Mark the draft "saving" and take what an autosave writes: (the time of the last
        edit it includes, the payload for `_save_draft_payload`). Under the state's lock, so
        it never races a save an action has made meanwhile (`_save_now`); a server stopped
        mid-write leaves a state that says so (`_settle_lost_save`)."""
        self._save_requested = False
        self.save_status = "saving"
        self._saving_content = self._content
        return self._dirty_at, self._autosave_payload()

    def _apply_draft(self, prompt) -> Any:
        self.name = prompt.name
        if prompt.content != self._content or prompt.id != self._loaded_prompt_id:
            # Another text (or prompt): the code editor starts afresh with it. The same text
            # again (a reconnect re-runs on_load, which saves first) keeps the editor as it
            # is, with its cursor, its focus and any keystroke still on its way.
            self.editor_key += 1
            self.content_revision = prompt.revision
        self._loaded_prompt_id = prompt.id
        self._content = prompt.content
        self.content_initial = prompt.content  # what a freshly mounted editor starts with
        self._revision = prompt.revision
        self._dialect = prompt.template_dialect
        self._spec = dict(prompt.variables or {})
        self._detected = []
        self._hints = {}
        self._config = dict(prompt.config or {})
        self.config_form = model_config.form_from_config(self._config)
        self.config_error = ""
        self.config_error_field = ""
        self.save_status = "saved"
        self.save_message = ""
        return self._recompute(force_rows=True)

    def _keep_unsaved_text(self) -> Any:
        """A reload of the prompt this tab has unsaved text for, which cannot be saved now (a
        conflict, an error): the text stays, in the editor as it is and in one mounted afresh
        (a reloaded page), and so does what stands in its way. The tab follows the project
        again (a reconnect to another server left its follower behind)."""
        self.content_initial = self._content
        self.loaded = True
        return chain(DraftSyncState.watch, PresenceState.keep_presence)

    def _config_to_save(self) -> dict[str, Any] | None:
        """The config a save writes: a plain copy (not the state's proxy), or None to keep
        the stored one."""
        return None if self._config is None else copy.deepcopy(self._config)

    def _load_validators(self, session: Session, principal: Principal | None) -> None:
        rows = validators.list_validators(session, principal, self.editor_prompt_id)
        self._validators = [{"id": str(v.id), "type": v.type, "config": v.config} for v in rows]

    def _recompute(self, *, force_rows: bool = False) -> Any:
        """Analyse the current text (no database); returns the event that renders and
        validates it (see `_render_preview`)."""
        # The parser alone (no compile): the render worker compiles what it renders.
        analysis = templates.outline(self._content)
        if analysis.error is not None:
            self.syntax_error = analysis.error.message
            self.syntax_line = analysis.error.line
            self.syntax_line_text = analysis.error.line_text
            if force_rows:  # opened with a syntax error: show the stored specs as they are
                self._detected = list(self._spec)
                self._rebuild_variable_rows()
        else:
            self.syntax_error = ""
            self.syntax_line = 0
            self.syntax_line_text = ""
            detected = list(analysis.variables)
            hints = dict(analysis.hints)
            if detected != self._detected or hints != self._hints or force_rows:
                self._detected = detected
                self._hints = hints
                self._spec = variable_specs.sync_with_content(self._spec, detected, hints)
                self._rebuild_variable_rows()
        return self._render_preview()

    def _rebuild_variable_rows(self) -> None:
        errors = {row.name: row for row in self.variable_rows if row.error}
        rows = []
        for name, item in self._spec.items():
            if name in errors:  # keep what the user typed while it is invalid
                row = errors[name]
                row.used = name in self._detected
                rows.append(row)
            else:
                rows.append(row_from_spec(name, item, name in self._detected))
        self.variable_rows = rows

    def _render_preview(self) -> Any:
        """Show at once what needs no rendering (a syntax error, an invalid value); otherwise
        return the event that renders in the pool (`render_preview`), or None."""
        self._share_live_context()
        if self.syntax_error:
            self.preview_error = f"Line {self.syntax_line}: {self.syntax_error}"
            self._set_validators_not_run()
            self._preview_seq += 1  # a render still under way is for older text
            self.preview_pending = False
            return None
        invalid = [row for row in self.variable_rows if row.error and row.used]
        if invalid:
            # Never show text rendered with an old value as if it were the new one.
            self.preview_error = variable_specs.invalid_values_message(
                (row.name, row.error) for row in invalid
            )
            self._set_validators_not_run(validators.NOT_RUN_INVALID_VALUE)
            self._preview_seq += 1
            self.preview_pending = False
            return None
        self._preview_seq += 1
        self.preview_pending = True
        return DraftSyncState.render_preview

    def _share_live_context(self) -> None:
        """Give the page what the live channel renders with, when it changed."""
        context = {
            "spec": copy.deepcopy(self._spec),
            "validators": copy.deepcopy(self._validators),
            "dialect": self._dialect,
            "invalid": {row.name: row.error for row in self.variable_rows if row.error},
        }
        if context != self.live_context:
            self.live_context = context

    def _preview_request(self) -> tuple[tuple[Any, ...], list[str]]:
        # Deep copies: plain dicts and lists, not the state's change-tracking proxies (the
        # request goes to the worker as JSON).
        spec, validator_list = copy.deepcopy(self._spec), copy.deepcopy(self._validators)
        values, unset = variable_specs.preview_values(spec, self._detected)
        return (self._content, spec, validator_list, values, self._dialect), unset

    @staticmethod
    async def _render_in_pool(request: tuple[Any, ...]) -> tuple[str, list, str]:
        """(text, validator results, error message): the template is user code, so it runs
        in a render worker under the time budget, never on this event loop."""
        try:
            text, results = await render_pool.render_and_validate_async(*request)
        except ServiceError as exc:
            return "", [], exc.message
        return text, results, ""

    def _show_preview(self, text: str, results: list, error: str, unset: list[str]) -> None:
        self.preview_pending = False
        if error:
            self.preview_error = error
            self._set_validators_not_run()
            return
        self.preview_error = ""
        self.preview_note = variable_specs.preview_note(unset)
        self.preview_text = text
        stats = templates.text_stats(text)
        self.chars, self.words, self.lines, self.tokens = (
            stats["chars"],
            stats["words"],
            stats["lines"],
            stats["tokens"],
        )
        self._set_validator_rows(results)

    async def _render_inline(self) -> Any:
        """A keystroke's render, awaited by the keystroke's own event (the state stays
        locked, so keystrokes stay in order): when the pool answers within
        PREVIEW_INLINE_SECONDS, the preview and badges go back with the keystroke's delta —
        one event and one delta instead of a second, background event with two more state
        locks. A slower render is handed, still running, to `render_preview`, so the
        next keystroke waits no longer than that."""
        seq = self._preview_seq
        request, unset = self._preview_request()
        with render_pool.acting_for(self.user_id):
            render = asyncio.ensure_future(self._render_in_pool(request))
        done, _ = await asyncio.wait({render}, timeout=PREVIEW_INLINE_SECONDS)
        if render in done:
            self._show_preview(*render.result(), unset)
            return None
        _hand_over(self.router.session.client_token, seq, render, unset)
        return DraftSyncState.render_preview

    async def _render_preview_now(self) -> None:
        """For code already holding the state's lock (a refresh from elsewhere): render in the
        pool and show the result before letting go."""
        if self._render_preview() is None:
            return
        request, unset = self._preview_request()
        self._show_preview(*await self._render_in_pool(request), unset)

    def _set_validators_not_run(self, message: str = validators.NOT_RUN_NO_TEXT) -> None:
        self._set_validator_rows(
            [
                validators.ValidatorResult(v["type"], False, message, v["id"])
                for v in self._validators
            ],
            skipped=True,
        )

    def _set_validator_rows(
        self, results: list[validators.ValidatorResult], *, skipped: bool = False
    ) -> None:
        by_id = {v["id"]: v for v in self._validators}
        rows = []
        for result in results:
            v = by_id.get(result.validator_id or "", {})
            rows.append(
                ValidatorRow(
                    id=result.validator_id or "",
                    type=result.type,
                    summary=validators.describe(result.type, v.get("config") or {}),
                    passed=result.passed,
                    message=result.message,
                    skipped=skipped,
                )
            )
        self.validator_rows = rows

    def _save_now(self, principal: Principal, *, force: bool = False) -> bool:
        """Save the draft synchronously (before a version, a restore...). False on conflict."""
        name = self.name.strip()
        try:
            with session_scope(acting_as=principal.user_id) as session:
                prompt = drafts.save_draft(
                    session,
                    principal,
                    self.editor_prompt_id,
                    base_revision=self._revision,
                    content=self._content,
                    name=name or None,
                    variables=self._spec,
                    config=self._config_to_save(),
                    force=force,
                    origin=self.router.session.client_token,
                )
                self._revision = prompt.revision
                self._spec = dict(prompt.variables or {})
        except drafts.DraftConflict as exc:
            if self._own_late_save(exc.current["revision"], exc.current["content"]):
                # This tab's autosave on a server that was stopping committed after
                # `_settle_lost_save` looked: its revision is ours, save again over it.
                self._revision = exc.current["revision"]
                self._saving_content = ""
                return self._save_now(principal, force=force)
            self._enter_conflict(exc)
            return False
        self.save_status = "saved"
        self.save_message = ""
        self.conflict_open = False
        self._save_requested = False
        return True

    def _settle_lost_save(self, principal: Principal) -> None:
        """The tab reloads (e.g. reconnects to another server) while its state says an autosave
        is under way: that save's task is gone with its connection. If it committed (the stored
        draft is the next revision with the text it was writing), take its revision; either
        way what this tab has is then saved again like any unsaved text, so nothing typed
        meanwhile is lost, and a save by someone else still shows as a conflict."""
        try:
            with session_scope(acting_as=principal.user_id) as session:
                prompt, _ = access.get_prompt(session, principal, self.editor_prompt_id)
        except ServiceError:
            return
        if self._own_late_save(prompt.revision, prompt.content):
            self._revision = prompt.revision
        self.save_status = "unsaved"

    def _own_late_save(self, revision: int, content: str) -> bool:
        """Whether the stored draft (`revision`, `content`) is the next revision with the text
        this tab's last autosave was writing: that save, not someone else's."""
        return (
            bool(self._saving_content)
            and revision == self._revision + 1
            and content == self._saving_content
        )

    def _flush(self, principal: Principal) -> bool:
        """Save unsaved edits before an action that needs them stored; False on conflict."""
        return self.save_status == "saved" or self._save_now(principal)

    def _enter_conflict(self, exc: drafts.DraftConflict) -> None:
        had_changes = self.save_status != "saved"
        self.save_status = "conflict"
        self.save_message = exc.message + (
            " Your text is still here and has not been saved: compare, reload theirs or "
            "overwrite with yours."
            if had_changes
            else " Reload it, or keep your text and overwrite it."
        )
        self._server_content = exc.current["content"]
        self._server_revision = exc.current["revision"]
        self._server_name = exc.current["name"]
        self._server_variables = exc.current["variables"] or {}

    # ------------------------------------------------------------------ loading
    @rx.event
    async def load_editor(self):
        """on_load: check access, then load the draft, validators and history."""
        # The pane substates subclass DraftState, so they are imported here, not at the top.
        from promptrepo.state.editor.comments import CommentsState
        from promptrepo.state.editor.history import HistoryState
        from promptrepo.state.editor.review import ReviewState
        from promptrepo.state.editor.tags import TagsState
        from promptrepo.state.editor.validators import ValidatorsState

        project_id, prompt_id = self.route_ids()
        principal = self.principal()
        if principal is None:
            return self.to_login()
        notice = None
        # A (re)load may follow a reconnect to another server: an autosave task of the old
        # connection may have died with its server, so the next keystroke starts a new one.
        self._autosave_since = 0.0
        if self.can_write and self.save_status == "saving" and self.editor_prompt_id == prompt_id:
            self._settle_lost_save(principal)
        if self.can_write and self.editor_prompt_id == prompt_id and self.save_status == "conflict":
            # A conflict waits for the user's choice (compare, reload theirs, overwrite with
            # mine): a reload of the page or a reconnect (e.g. to another server) keeps it.
            return self._keep_unsaved_text()
        if self.can_write and self.editor_prompt_id and self.save_status in ("unsaved", "error"):
            # Opened another page before the autosave ran: save what was typed first.
            try:
                saved = self._save_now(principal)
            except ServiceError as exc:
                saved, self.save_message = False, exc.message
            if not saved:
                if self.editor_prompt_id == prompt_id:
                    return self._keep_unsaved_text()  # with its conflict/error
                notice = rx.toast.warning(
                    f"Your last edits to “{self.name}” could not be saved: {self.save_message}"
                )
        history = await self.get_state(HistoryState)
        thread_pane = await self.get_state(CommentsState)
        validator_form = await self.get_state(ValidatorsState)
        tag_bar = await self.get_state(TagsState)
        review = await self.get_state(ReviewState)
        review.review_open = False
        review.proposals = []
        tag_bar.show_tags([])
        self.editor_project_id, self.editor_prompt_id = project_id, prompt_id
        self.page_origin = self.router.headers.origin
        self.loaded = False
        self.load_error = ""
        self.conflict_open = False
        history.reset_view()
        if str(self._loaded_prompt_id) != prompt_id:
            thread_pane.comment_version = 0  # another prompt: its newest version's threads
        validator_form.vform_open = False
        self.variable_rows = []
        try:
            with session_scope(acting_as=principal.user_id) as session:
                prompt, project = access.get_prompt(session, principal, prompt_id)
                if project_id and str(project.id) != project_id:
                    raise NotFound("Prompt not found.")
                self.editor_project_id = str(project.id)
                self.project_name = project.name
                self.can_write = principal.can_write and access.project_role(
                    session, principal, project
                ) in ("owner", "editor")
                self._load_validators(session, principal)
                render = self._apply_draft(prompt)
                tag_bar.show_tags(prompt.tags)
                history.load_history(session, principal)
                thread_pane.load_comments_now(session, principal)
                review.load_proposals(session, principal)
        except ServiceError as exc:
            self.load_error = exc.message
            return notice
        self.loaded = True
        return chain(
            notice,
            render,
            DraftSyncState.watch,
            PresenceState.keep_presence,
            ReviewState.open_from_link,
            CommentsState.open_from_link,
        )

    def _calls_for_refresh(self, message: dict) -> bool:
        """Any change to the project does, except a draft saved of another prompt (nothing
        here shows it) or of this one that this tab has already (its own autosave coming back)
        or is saving now (that save's answer decides: saved, or a conflict)."""
        if message.get("kind") != "draft":
            return True
        if message.get("prompt_id") != self.editor_prompt_id:
            return False
        revision = int(message.get("revision") or 0)
        if revision <= self._revision:
            return False
        return not (self.save_status == "saving" and revision == self._revision + 1)

    async def _refresh_from_elsewhere(self) -> None:
        from promptrepo.state.editor.comments import CommentsState
        from promptrepo.state.editor.history import HistoryState
        from promptrepo.state.editor.review import ReviewState
        from promptrepo.state.editor.tags import TagsState

        principal = self.principal()
        if principal is None:
            return
        history = await self.get_state(HistoryState)
        thread_pane = await self.get_state(CommentsState)
        tag_bar = await self.get_state(TagsState)
        review = await self.get_state(ReviewState)
        with session_scope(acting_as=principal.user_id) as session:
            try:
                prompt, _ = access.get_prompt(session, principal, self.editor_prompt_id)
            except NotFound:
                self.load_error = "This prompt was deleted, or you can no longer see it."
                return
            self._load_validators(session, principal)
            history.load_history(session, principal)
            thread_pane.load_comments_now(session, principal)
            review.load_proposals(session, principal)
            tag_bar.show_tags(prompt.tags)
            if prompt.revision > self._revision:
                self._take_newer_draft(prompt)
        await self._render_preview_now()

    def _take_newer_draft(self, prompt) -> None:
        """A newer draft was saved elsewhere. With no unsaved edits in this tab there is
        nothing to lose: show it at once. With unsaved edits, never swap the text under the
        user's cursor: offer the conflict choices (compare / reload / overwrite). While a
        save is under way its answer decides (a conflict if the base was stale)."""
        if self.save_status == "saved":
            self._apply_draft(prompt)  # the caller renders the preview
        elif self.save_status in ("unsaved", "error"):
            self._enter_conflict(
                drafts.DraftConflict(
                    f"This prompt was saved elsewhere (revision {prompt.revision}).",
                    prompt=prompt,
                )
            )

    # ------------------------------------------------------------------ typing
    @rx.event
    def set_name(self, value: str):
        self.name = value
        self.name_error = "" if value.strip() else "The prompt needs a name."
        return self._note_edit()

    def _autosave_payload(self) -> dict[str, Any]:
        """What `_save_draft_payload` saves: this tab's draft over the revision it has. Plain
        values (copies, not the state's proxies): it travels as an event's argument."""
        return {
            "prompt_id": self.editor_prompt_id,
            "base_revision": self._revision,
            "content": self._content,
            "name": self.name.strip() or None,
            "variables": copy.deepcopy(self._spec),
            "config": self._config_to_save(),
            "origin": self.router.session.client_token,  # `watch` skips its own saves
        }

    def _apply_save_outcome(self, kind: str, value: Any) -> None:
        if kind == "ok":
            self._revision = value.revision
            self.save_status = "saved"
            self.save_message = ""
        elif kind == "conflict":
            self._enter_conflict(value)
        else:
            self.save_status = "error"
            self.save_message = value

    @rx.event
    def save_now(self):
        """Save at once (the Save button, Ctrl/Cmd+S, or Retry after an error). The code
        editor settles its text first (on blur, or Ctrl/Cmd+S), which starts that save."""
        if self.can_write and self.save_status == "saved":
            return rx.toast.info("All changes are saved.")
        if not self.can_write or self.save_status not in ("unsaved", "error"):
            return None  # nothing to save, a save is under way, or a conflict needs a choice
        principal = self.principal()
        if principal is None:
            return self.to_login()
        try:
            if self._save_now(principal):
                return rx.toast.success("Draft saved.")
        except ServiceError as exc:
            self.save_status = "error"
            self.save_message = exc.message
        return None

    # ------------------------------------------------------------------ conflicts
    @rx.event
    def compare_conflict(self):
        diff = versions.diff_texts(self._server_content, self._content)
        self.conflict_rows = diff_rows(diff)
        self.conflict_title = (
            f"Saved elsewhere (revision {self._server_revision}) → your text: "
            f"+{diff.added} −{diff.removed} lines"
        )
        self.conflict_extra = (
            [f"Name elsewhere: {self._server_name!r}, yours: {self.name!r}"]
            if self._server_name != self.name
            else []
        )
        self.conflict_open = True

    @rx.event
    def set_conflict_open(self, value: bool):
        self.conflict_open = value

    @rx.event
    @guarded
    def reload_server_draft(self):
        """Throw away this tab's changes and load the draft saved elsewhere."""
        with self.acting() as (session, principal):
            prompt, _ = access.get_prompt(session, principal, self.editor_prompt_id)
            self._load_validators(session, principal)
            render = self._apply_draft(prompt)
        self.conflict_open = False
        return chain(render, rx.toast.info("Loaded the latest saved draft."))

    @rx.event
    @guarded
    def overwrite_server_draft(self):
        """Save this tab's text over the draft saved elsewhere."""
        self._save_now(self.require_principal(), force=True)
        self.conflict_open = False
        return rx.toast.success("Your text replaced the other draft.")


class DraftSyncState(DraftState):
    """The draft's frequent events: the text from the code editor, the autosave, a render
    handed over by a keystroke, and the watcher of the project's changes.

    Reflex loads the state an event is for with all of its substates, and DraftState's panes
    (variables, validators, history, comments, promote, split, review) are its substates:
    an event here, a leaf, loads only the chain from the root (five states, not thirteen;
    `tests/unit/test_editor_state_tree.py`). The vars are DraftState's; a substate reads and
    writes its parents' vars as its own.
    """

    @rx.event
    async def edit_content(
        self, value: str, seq: int = 0, settled: bool = False, base: int | None = None
    ):
        """The text as typed (the page's edit number `seq`): keep it and analyse it (the
        variables table, the error callout). `settled`: typing has paused
        (components/code_editor.jsx): render the preview and badges, and save the draft now.
        Otherwise the editor promises a settled one to follow (at the pause, on blur, when it
        goes away): the live channel previews the text meanwhile, so the state neither
        renders it (its preview, for an older `live_seq`, gives way to the channel's) nor
        starts an autosave task for it.

        `base` is the revision the editor was mounted with. An older one than the editor's
        current mount means the text was typed on a draft this tab has replaced since (saved
        elsewhere and taken while these keys were on their way; the replaced editor sends
        them as it goes): the text comes back into the editor and is saved over the revision
        it was typed on, which the database refuses as a conflict (compare, reload theirs,
        or overwrite with mine); nothing typed is lost."""
        if not self.can_write:
            return None
        if isinstance(base, int) and base < self.content_revision and value != self._content:
            self._revision = base
            self.content_initial = value
            self.content_revision = base
            self.editor_key += 1
            settled = True
        render = None
        if value != self._content or seq != self.live_seq:
            self._content = value
            self._note_unsaved()
            render = self._recompute()
            if settled:
                self.live_seq = seq
                if render is not None:
                    render = await self._render_inline()
            else:
                self.preview_pending = False  # nothing renders until the settled text
                render = None
        if settled and self.save_status == "saving":
            self._save_requested = True  # the save under way goes again, at once
        elif settled and self.save_status == "unsaved":
            if self._autosave_running():
                self._save_requested = True  # it saves at once, without its wait
                return render
            # Saved now: this event begins the save (under the lock it holds already) and
            # an autosave task writes it and records the outcome.
            self._autosave_since = time.time()
            started, payload = self._begin_save()
            return chain(render, DraftSyncState.autosave(0.0, started, payload))
        return render

    @rx.event(background=True)
    async def autosave(
        self,
        first_wait: float = AUTOSAVE_DELAY_SECONDS,
        started: float = 0.0,
        payload: dict[str, Any] | None = None,
    ):
        """Save the draft once edits have paused for AUTOSAVE_DELAY_SECONDS, or at once when
        the code editor said its text is settled (`_save_requested`). With a `payload`, the
        settled text's event has begun the save already (`_begin_save`): write it first."""
        wait = min(max(float(first_wait), 0.0), AUTOSAVE_DELAY_SECONDS)
        token = self.auth_token
        while True:
            if payload is None:
                # Sleep until the pause could be long enough; taking the state lock costs a
                # round trip (Redis with several workers) that a keystroke would queue behind.
                await asyncio.sleep(wait)
                async with self:
                    if self.save_status != "unsaved" or not self.can_write:
                        self._autosave_since = 0.0
                        return
                    self._autosave_since = time.time()
                    idle = time.time() - self._dirty_at
                    if idle < AUTOSAVE_DELAY_SECONDS and not self._save_requested:
                        wait = max(0.05, AUTOSAVE_DELAY_SECONDS - idle)
                        continue
                    wait = AUTOSAVE_DELAY_SECONDS
                    started, payload = self._begin_save()
            outcome = await asyncio.to_thread(_save_draft_payload, token, payload)
            async with self:
                kind, value = outcome
                if self.editor_prompt_id != payload["prompt_id"]:
                    # another prompt was opened meanwhile; its own load set its status
                    self._autosave_since = 0.0
                    return
                if _stale_outcome(kind, value, self._revision):
                    # A reconnect's reload on another server took this save over
                    # (`_settle_lost_save`) and saved the newer text itself: the status is
                    # the reload's.
                    return
                if kind == "ok" and self._dirty_at != started:
                    self._revision = value.revision
                    self.save_status = "unsaved"  # typed while saving: go round again
                    wait = 0.0 if self._save_requested else AUTOSAVE_DELAY_SECONDS
                    payload = None
                    continue
                self._apply_save_outcome(kind, value)
                self._autosave_since = 0.0
                return

    @rx.event(background=True, supersedes=True)
    async def render_preview(self):
        """Render the current text in the pool and show it, unless the text (or the values)
        changed meanwhile: keystrokes stay in order, and only the newest render is shown."""
        async with self:
            seq = self._preview_seq
            handed = _take_over(self.router.session.client_token, seq)
            if handed is None:
                request, unset = self._preview_request()
                account = self.user_id
        if handed is not None:  # the keystroke's own render, still under way
            render, unset = handed
            text, results, error = await render
        else:
            with render_pool.acting_for(account):
                text, results, error = await self._render_in_pool(request)
        async with self:
            if self._preview_seq == seq:
                self._show_preview(text, results, error, unset)

    @rx.event(background=True, supersedes=True)
    async def watch(self):
        """Follow `project:<id>` while this tab shows the prompt: keep history, labels and
        validators fresh, and surface a draft saved elsewhere as a conflict at once."""
        async with self:
            project_id, prompt_id = self.editor_project_id, self.editor_prompt_id
            self._follower = follower = new_follower_id()
        if not prompt_id:
            return
        await follow(
            self,
            project_topic(project_id),
            refresh=self._refresh_from_elsewhere,
            still_wanted=lambda: (
                self._follower == follower
                and self.editor_prompt_id == prompt_id
                and self.route_ids()[1] == prompt_id
            ),
            relevant=lambda messages: any(map(self._calls_for_refresh, messages)),
            probe=lambda messages, tab: any(
                not _own_or_other_draft(message, prompt_id, tab) for message in messages
            ),
        )


# Renders a keystroke started and handed to `render_preview` (see `_render_inline`), by
# browser tab: (preview sequence number, the render, the unset variables). Only the newest
# is kept; one not taken over is dropped when done (its tab went away, or the background
# event ran in another process, which then renders again).
_handed_over: dict[str, tuple[int, asyncio.Future, list[str]]] = {}


def _hand_over(tab: str, seq: int, render: asyncio.Future, unset: list[str]) -> None:
    entry = (seq, render, unset)
    _handed_over[tab] = entry

    def forget(_: asyncio.Future) -> None:
        # a little after it is done: render_preview may not have run yet
        asyncio.get_running_loop().call_later(
            HANDED_OVER_TTL_SECONDS,
            lambda: _handed_over.pop(tab) if _handed_over.get(tab) is entry else None,
        )

    render.add_done_callback(forget)


def _take_over(tab: str, seq: int) -> tuple[asyncio.Future, list[str]] | None:
    entry = _handed_over.get(tab)
    if entry is None or entry[0] != seq:
        return None
    del _handed_over[tab]
    return entry[1], entry[2]


def _own_or_other_draft(message: dict, prompt_id: Any, tab: str) -> bool:
    """A draft save that a tab's `watch` may skip without locking its state: of another
    prompt (nothing there shows it), or this tab's own (the tab has it already)."""
    if message.get("kind") != "draft":
        return False
    return str(message.get("prompt_id")) != str(prompt_id) or message.get("origin") == tab


def _stale_outcome(kind: str, value: Any, revision: int) -> bool:
    """Whether an autosave's outcome is behind the tab's draft, now at `revision`: it saved
    a revision the tab has gone past, or ran into one the tab has saved itself."""
    if kind == "ok":
        return value.revision < revision
    if kind == "conflict":
        return value.current["revision"] <= revision
    return False


def _save_draft_payload(token: str, payload: dict[str, Any]) -> tuple[str, Any]:
    """Run one autosave, as the session `token`, in a worker thread: ("ok", prompt) |
    ("conflict", exc) | ("error", msg)."""
    try:
        with session_scope() as session:
            # row-level security for the rest, set by the same statement
            principal = resolve_session_and_act_as(session, token)
            if principal is None:
                return "error", "You were signed out; sign in again (your text stays here)."
            prompt = drafts.save_draft(
                session,
                principal,
                uuid.UUID(payload["prompt_id"]),
                base_revision=payload["base_revision"],
                content=payload["content"],
                name=payload["name"],
                variables=payload["variables"],
                config=payload["config"],
                origin=payload.get("origin"),
            )
        return "ok", prompt
    except drafts.DraftConflict as exc:
        return "conflict", exc
    except ServiceError as exc:
        return "error", exc.message
    except Exception:  # the database is down, etc.: keep the text, say so, allow a retry
        return "error", "Could not reach the database; your text is kept here. Retry to save."
