"""CommentsState: the comment threads of a version (History pane) and the comments on the
lines of History's side-by-side diff (services/comments.py holds the rules).

A version card's "Comments" button picks the version whose threads show; the diff marks
lines that have threads (a click shows them) and offers "comment on this line" per line.
Another member's comment arrives through the editor's live follower (`project:<id>`), which
reloads these threads (DraftState._refresh_from_elsewhere)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import reflex as rx
from sqlmodel import Session

from promptrepo.formatting import count_of, format_timestamp
from promptrepo.services import comments
from promptrepo.services.errors import NotAuthenticated, ServiceError
from promptrepo.services.principal import Principal
from promptrepo.state.editor.base import guarded
from promptrepo.state.editor.history import HistoryState


@dataclasses.dataclass
class CommentPartRow:
    text: str = ""
    mention: bool = False


@dataclasses.dataclass
class ReplyRow:
    id: str = ""
    author: str = ""
    when: str = ""
    edited: bool = False
    body: str = ""
    parts: list[CommentPartRow] = dataclasses.field(default_factory=list)
    can_edit: bool = False


@dataclasses.dataclass
class ThreadRow(ReplyRow):
    anchor: str = ""  # "line 5 · new side of v1 → v2", or "" for the whole version
    line_key: str = ""  # "new:5" when on a line of the diff shown now
    resolved: bool = False
    resolved_note: str = ""
    can_resolve: bool = False
    replies: list[ReplyRow] = dataclasses.field(default_factory=list)


def _reply_row(info: comments.CommentInfo) -> ReplyRow:
    return ReplyRow(
        id=info.id,
        author=info.author_name,
        when=format_timestamp(info.created_at),
        edited=info.edited_at is not None,
        body=info.body,
        parts=[CommentPartRow(p.text, p.mention) for p in info.parts],
        can_edit=info.can_edit,
    )


def _diff_versions(info: comments.CommentInfo) -> tuple[int | None, int | None]:
    """The (old, new) versions of the diff a line comment was made on."""
    if info.anchor_side == "old":
        return info.version, info.anchor_other
    return info.anchor_other, info.version


def _anchor(info: comments.CommentInfo) -> str:
    if info.anchor_line is None:
        return ""
    old, new = _diff_versions(info)
    return f"line {info.anchor_line} · {info.anchor_side} side of v{old} → v{new}"


class CommentsState(HistoryState):
    comment_version: int = 0
    comment_filter: str = "all"  # all | open | resolved
    comment_line: str = ""  # "new:5": only that line's threads (from a diff marker)
    comment_threads: list[ThreadRow] = []
    comments_total: int = 0
    comments_open: int = 0
    comments_resolved: int = 0
    comments_loading: bool = False
    comments_error: str = ""
    comment_body: str = ""
    comment_error: str = ""
    mention_hint: str = ""
    # the line-comment dialog
    line_dialog_open: bool = False
    line_side: str = ""
    line_number: int = 0
    line_text: str = ""
    line_body: str = ""
    line_error: str = ""
    # replying, editing, deleting
    reply_to: str = ""
    reply_body: str = ""
    editing_id: str = ""
    edit_body: str = ""
    delete_pending: str = ""

    @rx.var
    def comment_counts(self) -> str:
        if not self.comments_total:
            return ""
        return (
            f"{count_of(self.comments_total, 'thread')} · {self.comments_open} open · "
            f"{self.comments_resolved} resolved"
        )

    @rx.var
    def line_dialog_title(self) -> str:
        version = self.compare_old if self.line_side == "old" else self.compare_new
        return f"Comment on line {self.line_number} of v{version}"

    # ------------------------------------------------------------------ loading
    def load_comments_now(self, session: Session, principal: Principal) -> None:
        """Threads of the chosen version, and the markers on the diff shown now."""
        numbers = [row.number for row in self.version_rows]
        if not self.comment_version or (
            numbers and self.comment_version not in numbers and self.comment_version > max(numbers)
        ):
            self.comment_version = numbers[0] if numbers else 0
        self.comments_error = ""
        self.comment_threads = []
        self.comments_total = self.comments_open = self.comments_resolved = 0
        if not self.comment_version:
            return
        try:
            everything = comments.list_comments(session, principal, self.editor_prompt_id)
            handles = comments.mention_handles(session, principal, self.editor_prompt_id)
        except ServiceError as exc:  # e.g. a public reader outside the team
            self.comments_error = exc.message
            return
        self.mention_hint = "Mention: " + ", ".join(h.token for h in handles) if handles else ""
        self._mark_lines(everything.threads)
        mine = [t for t in everything.threads if t.version == self.comment_version]
        self.comments_total = len(mine)
        self.comments_resolved = sum(1 for t in mine if t.resolved_at is not None)
        self.comments_open = self.comments_total - self.comments_resolved
        rows = []
        for info in mine:
            resolved = info.resolved_at is not None
            if self.comment_filter != "all" and resolved != (self.comment_filter == "resolved"):
                continue
            key = self._line_key(info)
            if self.comment_line and key != self.comment_line:
                continue
            base = _reply_row(info)
            rows.append(
                ThreadRow(
                    **dataclasses.asdict(base) | {"parts": base.parts},
                    anchor=_anchor(info),
                    line_key=key,
                    resolved=resolved,
                    resolved_note=(
                        f"Resolved by {info.resolved_by_name} · "
                        f"{format_timestamp(info.resolved_at)}"
                        if resolved
                        else ""
                    ),
                    can_resolve=info.can_resolve,
                    replies=[_reply_row(r) for r in info.replies],
                )
            )
        self.comment_threads = rows

    def _line_key(self, info: comments.CommentInfo) -> str:
        """`old:N`/`new:N` when the thread is on a line of the diff shown now."""
        if info.anchor_line is None or self.compare_is_chat:
            return ""
        if _diff_versions(info) != (self.compare_old, self.compare_new):
            return ""
        return f"{info.anchor_side}:{info.anchor_line}"

    def _mark_lines(self, threads: list[comments.CommentInfo]) -> None:
        marks: dict[str, int] = {}
        still_open: set[str] = set()
        for info in threads:
            key = self._line_key(info)
            if key:
                marks[key] = marks.get(key, 0) + 1
                if info.resolved_at is None:
                    still_open.add(key)
        rows = list(self.compare_rows)
        for row in rows:
            old, new = f"old:{row.old_number}", f"new:{row.new_number}"
            row.old_comments = marks.get(old, 0) if row.old_number else 0
            row.new_comments = marks.get(new, 0) if row.new_number else 0
            row.old_open = old in still_open
            row.new_open = new in still_open
        self.compare_rows = rows

    def _reload(self):
        """Show the loading state, then the threads (a generator: the spinner reaches the
        page before the database is asked)."""
        self.comments_loading = True
        yield
        try:
            with self.acting() as (session, principal):
                self.load_comments_now(session, principal)
        except NotAuthenticated:
            yield self.to_login()
        except ServiceError as exc:
            yield rx.toast.error(exc.message)
        finally:
            self.comments_loading = False

    @rx.event
    def open_from_link(self):
        """After the editor loads: `?comment=<id>` (a mention's notification) opens the
        History tab on that comment's version."""
        wanted = str(self.router.url.query_parameters.get("comment") or "")
        if not wanted:
            return
        try:
            with self.acting() as (session, principal):
                found = comments.get_comment(session, principal, wanted)
        except NotAuthenticated:
            yield self.to_login()
            return
        except ServiceError as exc:
            yield rx.toast.error(exc.message)
            return
        self.active_tab = "history"
        self.comment_version = found.version
        self.comment_filter = "all"
        self.comment_line = ""
        yield from self._reload()

    @rx.event
    def load_comments(self):
        yield from self._reload()

    @rx.event
    def select_comment_version(self, number: int):
        try:
            self.comment_version = int(number)
        except (TypeError, ValueError):
            return
        self.comment_line = ""
        self.comment_error = ""
        yield from self._reload()

    @rx.event
    def set_comment_filter(self, value: str):
        self.comment_filter = value if value in ("all", "open", "resolved") else "all"
        yield from self._reload()

    @rx.event
    def show_line_threads(self, side: str, number: str):
        """A diff marker was clicked: show that line's threads (of the diff's version)."""
        self.comment_version = self.compare_old if side == "old" else self.compare_new
        self.comment_line = f"{side}:{number}"
        self.comment_filter = "all"
        yield from self._reload()

    @rx.event
    def clear_line_filter(self):
        self.comment_line = ""
        yield from self._reload()

    # ------------------------------------------------------------------ writing
    @rx.event
    def set_comment_body(self, value: str):
        self.comment_body = value
        self.comment_error = ""

    def _after_write(self, session: Session, principal: Principal, message: str):
        self.load_comments_now(session, principal)
        return rx.toast.success(message)

    def _write(
        self,
        write: Callable[[Session, Principal], None],
        message: str,
        error_field: str = "comment_error",
    ):
        """A form's write: `write` calls the service and clears what the form sent, then the
        threads reload and `message` is toasted. A refusal is shown in `error_field` and the
        text stays in its box."""
        try:
            with self.acting() as (session, principal):
                write(session, principal)
                return self._after_write(session, principal, message)
        except ServiceError as exc:
            setattr(self, error_field, exc.message)
            return None

    @rx.event
    @guarded
    def post_comment(self):
        def write(session: Session, principal: Principal) -> None:
            comments.add_comment(
                session,
                principal,
                self.editor_prompt_id,
                version=self.comment_version or None,
                body=self.comment_body,
            )
            self.comment_body = ""
            self.comment_line = ""

        return self._write(write, "Comment posted.")

    @rx.event
    def open_line_comment(self, side: str, number: str):
        """The "comment on this line" button of a diff line."""
        self.line_side = side if side in ("old", "new") else "new"
        self.line_number = int(number or 0)
        key = "old_number" if self.line_side == "old" else "new_number"
        row = next((r for r in self.compare_rows if getattr(r, key) == str(number)), None)
        self.line_text = (row.old if self.line_side == "old" else row.new) if row else ""
        self.line_error = ""
        self.line_dialog_open = True

    @rx.event
    def set_line_dialog_open(self, value: bool):
        self.line_dialog_open = value

    @rx.event
    def set_line_body(self, value: str):
        self.line_body = value
        self.line_error = ""

    @rx.event
    @guarded
    def post_line_comment(self):
        version, other = (
            (self.compare_old, self.compare_new)
            if self.line_side == "old"
            else (self.compare_new, self.compare_old)
        )

        def write(session: Session, principal: Principal) -> None:
            comments.add_comment(
                session,
                principal,
                self.editor_prompt_id,
                version=version,
                body=self.line_body,
                anchor_other=other,
                anchor_side=self.line_side,
                anchor_line=self.line_number,
            )
            self.line_body = ""
            self.line_dialog_open = False
            self.comment_version = version
            self.comment_line = f"{self.line_side}:{self.line_number}"

        # refused: the dialog stays open with the text
        return self._write(write, f"Comment posted on line {self.line_number}.", "line_error")

    @rx.event
    def start_reply(self, comment_id: str):
        self.reply_to = comment_id
        self.reply_body = ""
        self.comment_error = ""

    @rx.event
    def cancel_reply(self):
        self.reply_to = ""

    @rx.event
    def set_reply_body(self, value: str):
        self.reply_body = value
        self.comment_error = ""

    @rx.event
    @guarded
    def post_reply(self):
        if not self.reply_to:
            return None

        def write(session: Session, principal: Principal) -> None:
            comments.add_comment(
                session,
                principal,
                self.editor_prompt_id,
                version=None,
                body=self.reply_body,
                parent_id=self.reply_to,
            )
            self.reply_to = ""
            self.reply_body = ""

        return self._write(write, "Reply posted.")

    @rx.event
    def start_edit(self, comment_id: str):
        """Edit one of the caller's own comments shown in the list."""
        shown = [*self.comment_threads, *(r for t in self.comment_threads for r in t.replies)]
        row = next((r for r in shown if r.id == comment_id and r.can_edit), None)
        if row is None:
            return None
        self.editing_id = row.id
        self.edit_body = row.body
        self.comment_error = ""
        return None

    @rx.event
    def cancel_edit(self):
        self.editing_id = ""

    @rx.event
    def set_edit_body(self, value: str):
        self.edit_body = value
        self.comment_error = ""

    @rx.event
    @guarded
    def save_edit(self):
        if not self.editing_id:
            return None

        def write(session: Session, principal: Principal) -> None:
            comments.edit_comment(session, principal, self.editing_id, body=self.edit_body)
            self.editing_id = ""

        return self._write(write, "Comment updated.")

    @rx.event
    def ask_delete_comment(self, comment_id: str):
        """Open the confirmation; `confirm_delete_comment` deletes."""
        self.delete_pending = comment_id

    @rx.event
    def cancel_delete_comment(self):
        self.delete_pending = ""

    @rx.event
    def set_delete_open(self, value: bool):
        if not value:
            self.delete_pending = ""

    @rx.event
    @guarded
    def confirm_delete_comment(self):
        target, self.delete_pending = self.delete_pending, ""
        if not target:
            return None
        with self.acting() as (session, principal):
            comments.delete_comment(session, principal, target)
            return self._after_write(session, principal, "Comment deleted.")

    @rx.event
    @guarded
    def toggle_resolved(self, comment_id: str, resolved: bool):
        with self.acting() as (session, principal):
            comments.set_resolved(session, principal, comment_id, bool(resolved))
            return self._after_write(
                session, principal, "Thread resolved." if resolved else "Thread reopened."
            )
