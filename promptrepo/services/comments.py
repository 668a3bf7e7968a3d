"""Comments on a prompt's versions and on lines of a diff, with mentions (issue 16, item 4).

Comments are the team's conversation: any role in the project (viewers included) reads and
writes them; a reader of a public project who is not in the team does not see them, and an
outsider gets "not found" as everywhere. Authors edit and delete their own comments; the
owner and editors resolve or reopen any thread (an author may resolve their own thread too).

A mention is `@` and a member's handle: the local part of their e-mail (`@ana` for
ana@example.com), their name without spaces (`@AnaLopez`) or its first word (`@Ana`), case
not minding, and only when it names exactly one person of the project. Each mention is stored
(`comment_mentions`, which highlights it and lists it at `GET /api/v1/me/mentions`) and the
person is notified in their bell (`notify_mentions` → services/notifications.py).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session, select

from promptrepo import db, routes
from promptrepo.models import Comment, CommentMention, Project, Prompt, Version, utcnow
from promptrepo.models.comments import ANCHOR_SIDES, COMMENT_MAX_CHARS
from promptrepo.services import access, events, notifications
from promptrepo.services.changes import project_topic
from promptrepo.services.errors import NotFound, PermissionDenied, ValidationFailed
from promptrepo.services.names import display_name
from promptrepo.services.principal import Principal, require_user, require_write

# `@` then a handle; not inside a word or an e-mail address (`x@y.com` mentions nobody).
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9][\w.+-]*)")
MAX_LINE = 100_000
Status = Literal["all", "open", "resolved"]


class MentionInfo(BaseModel):
    user_id: str
    name: str
    token: str  # the handle as written, lower-cased, with its `@`


class CommentPart(BaseModel):
    """A piece of a comment's body: plain text, or a mention to highlight."""

    text: str
    mention: bool = False


class CommentInfo(BaseModel):
    id: str
    prompt_id: str
    version: int
    anchor_other: int | None = None
    anchor_side: str | None = None
    anchor_line: int | None = None
    parent_id: str | None = None
    author_id: str | None = None
    author_name: str
    body: str
    parts: list[CommentPart]
    mentions: list[MentionInfo]
    created_at: datetime
    edited_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by_name: str | None = None
    can_edit: bool = False  # the caller wrote it
    can_resolve: bool = False  # a thread the caller may resolve or reopen
    replies: list[CommentInfo] = []


class CommentList(BaseModel):
    """A prompt's threads (optionally one version's), each with its replies, oldest first;
    `open` and `resolved` count the threads before the status filter."""

    total: int
    open: int
    resolved: int
    threads: list[CommentInfo]


class MyMention(BaseModel):
    id: str
    comment_id: str
    prompt_id: str
    version: int
    author_name: str
    body: str
    created_at: datetime
    read_at: datetime | None = None


# --------------------------------------------------------------------------- access
def _team_prompt(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, *, write: bool
) -> tuple[Prompt, Project, str]:
    """The prompt, its project and the caller's role; a public reader outside the team is
    refused (403), an outsider gets "not found"."""
    prompt, project = access.get_prompt(session, principal, prompt_id)
    role = access.project_role(session, principal, project)
    if role is None:
        require_user(principal)
        raise PermissionDenied("Only the project's team can see and write comments.")
    if write:
        require_write(principal)
    return prompt, project, role


def _comment(
    session: Session,
    principal: Principal | None,
    comment_id: uuid.UUID | str,
    *,
    write: bool = True,
) -> tuple[Comment, Prompt, Project, str]:
    try:
        cid = comment_id if isinstance(comment_id, uuid.UUID) else uuid.UUID(str(comment_id))
    except ValueError:
        raise NotFound("Comment not found.") from None
    comment = session.get(Comment, cid)
    if comment is None:
        raise NotFound("Comment not found.")
    try:
        prompt, project, role = _team_prompt(session, principal, comment.prompt_id, write=write)
    except NotFound:
        raise NotFound("Comment not found.") from None
    return comment, prompt, project, role


# --------------------------------------------------------------------------- mentions
def _handles(people: dict[uuid.UUID, tuple[str, str]]) -> dict[str, set[uuid.UUID]]:
    handles: dict[str, set[uuid.UUID]] = {}
    for user_id, (name, email) in people.items():
        candidates = {email.split("@", 1)[0].lower()} if email else set()
        words = name.split()
        if words:
            candidates.add("".join(words).lower())
            candidates.add(words[0].lower())
        for handle in candidates:
            if handle:
                handles.setdefault(handle, set()).add(user_id)
    return handles


def _handle(raw: str) -> str:
    return raw.rstrip(".-+").lower()  # "@ana." at the end of a sentence is @ana


def find_mentions(body: str, people: dict[uuid.UUID, tuple[str, str]]) -> dict[uuid.UUID, str]:
    """The project's people a body mentions: user id -> the handle that named them (`@ana`).
    A handle shared by two people (two Anas) mentions neither."""
    handles = _handles(people)
    found: dict[uuid.UUID, str] = {}
    for match in MENTION_RE.finditer(body):
        handle = _handle(match.group(1))
        owners = handles.get(handle, set())
        if len(owners) == 1:
            found.setdefault(next(iter(owners)), "@" + handle)
    return found


def mention_handles(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str
) -> list[MentionInfo]:
    """Who can be mentioned on this prompt, each with the handle to type (e-mail prefix)."""
    _, project, _ = _team_prompt(session, principal, prompt_id, write=False)
    people = _people(session, project)
    return sorted(
        (
            MentionInfo(user_id=str(uid), name=name or email, token="@" + email.split("@")[0])
            for uid, (name, email) in people.items()
            if email
        ),
        key=lambda m: m.token.lower(),
    )


def _people(session: Session, project: Project) -> dict[uuid.UUID, tuple[str, str]]:
    from promptrepo.services import members  # members imports changes; keep imports light

    return members._people(session, project)


def notify_mentions(
    session: Session,
    actor: Principal,
    project: Project,
    prompt: Prompt,
    comment: Comment,
    mentioned: dict[uuid.UUID, str],
) -> list[uuid.UUID]:
    """Record who `comment` mentions (`comment_mentions`: the highlight, and
    `GET /api/v1/me/mentions`) and notify them through the bell (services/notifications.py:
    a notification linking to the prompt, mailed when SMTP is set). People already recorded
    for this comment (an edit) and the author are not told again. Returns who was told."""
    known = set(
        session.exec(
            select(CommentMention.user_id).where(CommentMention.comment_id == comment.id)
        ).all()
    )
    told: list[uuid.UUID] = []
    for user_id, token in mentioned.items():
        if user_id in known:
            continue
        session.add(
            CommentMention(
                comment_id=comment.id,
                prompt_id=comment.prompt_id,
                user_id=user_id,
                token=token,
                read_at=utcnow() if user_id == actor.user_id else None,
            )
        )
        if user_id != actor.user_id:
            told.append(user_id)
    session.flush()
    if told:
        where = (
            f"line {comment.anchor_line} of v{comment.version}"
            if comment.anchor_line
            else (f"v{comment.version}")
        )
        excerpt = comment.body if len(comment.body) <= 200 else comment.body[:199] + "…"
        notifications.notify(
            session,
            actor,
            project,
            told,
            kind="comment.mention",
            text=f"{actor.name or actor.email} mentioned you on “{prompt.name}” {where}: {excerpt}",
            link=routes.prompt_editor_url(str(project.id), str(prompt.id))
            + f"?comment={comment.id}",
            subject=f"You were mentioned on {prompt.name}",
        )
    return told


def _sync_mentions(
    session: Session, actor: Principal, project: Project, prompt: Prompt, comment: Comment
) -> None:
    mentioned = find_mentions(comment.body, _people(session, project))
    for row in session.exec(
        select(CommentMention).where(CommentMention.comment_id == comment.id)
    ).all():
        if row.user_id not in mentioned:
            session.delete(row)
    session.flush()
    notify_mentions(session, actor, project, prompt, comment, mentioned)


def _announce(session: Session, project: Project, prompt_id: uuid.UUID) -> None:
    """Open editors of the project hear of the change after the commit (and reload)."""
    message = {"project_id": str(project.id), "kind": "comments", "prompt_id": str(prompt_id)}
    db.after_commit(session, lambda: events.publish(project_topic(project.id), message))


def _save(
    session: Session, actor: Principal, project: Project, prompt: Prompt, comment: Comment
) -> None:
    """Store a new or edited comment: its mentions follow its text (the newly mentioned are
    notified) and the project's open editors hear of it."""
    session.add(comment)
    session.flush()
    _sync_mentions(session, actor, project, prompt, comment)
    _announce(session, project, prompt.id)
    session.flush()


# --------------------------------------------------------------------------- validation
def _clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed(
            "Write something first: the comment is empty.",
            errors=[{"loc": ["body"], "msg": "The comment is empty."}],
        )
    if len(text) > COMMENT_MAX_CHARS:
        raise ValidationFailed(
            f"A comment holds at most {COMMENT_MAX_CHARS:,} characters ({len(text):,} given).",
            errors=[{"loc": ["body"], "msg": f"At most {COMMENT_MAX_CHARS} characters."}],
        )
    return text


def _version(session: Session, prompt_id: uuid.UUID, number: int | None) -> Version:
    if number is None:
        raise ValidationFailed(
            "Say which version the comment is about.",
            errors=[{"loc": ["version"], "msg": "Required."}],
        )
    row = session.exec(
        select(Version).where(Version.prompt_id == prompt_id, Version.version == number)
    ).first()
    if row is None:
        raise NotFound(f"Version {number} of this prompt does not exist.")
    return row


def _line_count(version: Version) -> int:
    if version.type == "chat":
        return max(
            (len((m.get("content") or "").splitlines()) for m in version.messages or []),
            default=0,
        )
    return len(version.content.splitlines())


def _check_anchor(
    session: Session,
    version: Version,
    other: int | None,
    side: str | None,
    line: int | None,
) -> tuple[int | None, str | None, int | None]:
    given = [v is not None for v in (other, side, line)]
    if not any(given):
        return None, None, None
    if not all(given):
        raise ValidationFailed(
            "A line comment needs the diff's other version, the side and the line number.",
            errors=[{"loc": ["anchor"], "msg": "Give anchor_other, anchor_side and anchor_line."}],
        )
    if side not in ANCHOR_SIDES:
        raise ValidationFailed(
            "The side is 'old' or 'new'.",
            errors=[{"loc": ["anchor_side"], "msg": "Use 'old' or 'new'."}],
        )
    _version(session, version.prompt_id, other)
    lines = _line_count(version)
    if not 1 <= int(line) <= min(max(lines, 1), MAX_LINE):
        raise ValidationFailed(
            f"Version {version.version} has no line {line} (it has {lines}).",
            errors=[{"loc": ["anchor_line"], "msg": f"Between 1 and {lines}."}],
        )
    return int(other), side, int(line)


# --------------------------------------------------------------------------- reading
def _parts(body: str, tokens: set[str]) -> list[CommentPart]:
    parts: list[CommentPart] = []
    at = 0
    for match in MENTION_RE.finditer(body):
        handle = "@" + _handle(match.group(1))
        if handle not in tokens:
            continue
        end = match.start() + len(handle)
        if match.start() > at:
            parts.append(CommentPart(text=body[at : match.start()]))
        parts.append(CommentPart(text=body[match.start() : end], mention=True))
        at = end
    if at < len(body):
        parts.append(CommentPart(text=body[at:]))
    return parts


def _info(
    comment: Comment,
    names: dict[uuid.UUID, str],
    mentions: list[CommentMention],
    principal: Principal,
    role: str,
) -> CommentInfo:
    tokens = {m.token for m in mentions}
    mine = comment.author_id == principal.user_id
    return CommentInfo(
        id=str(comment.id),
        prompt_id=str(comment.prompt_id),
        version=comment.version,
        anchor_other=comment.anchor_other,
        anchor_side=comment.anchor_side,
        anchor_line=comment.anchor_line,
        parent_id=str(comment.parent_id) if comment.parent_id else None,
        author_id=str(comment.author_id) if comment.author_id else None,
        author_name=names.get(comment.author_id, "A former member")
        if comment.author_id
        else "A deleted account",
        body=comment.body,
        parts=_parts(comment.body, tokens),
        mentions=[
            MentionInfo(user_id=str(m.user_id), name=names.get(m.user_id, ""), token=m.token)
            for m in mentions
        ],
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        resolved_at=comment.resolved_at,
        resolved_by_name=names.get(comment.resolved_by, "someone") if comment.resolved_by else None,
        can_edit=mine and principal.can_write,
        can_resolve=comment.parent_id is None
        and principal.can_write
        and (role in ("owner", "editor") or mine),
    )


def list_comments(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    version: int | None = None,
    status: Status = "all",
) -> CommentList:
    """The prompt's comment threads (one version's when `version` is given), oldest first,
    filtered by status (`open`, `resolved` or `all`), with their replies."""
    if status not in ("all", "open", "resolved"):
        raise ValidationFailed(
            "The status filter is all, open or resolved.",
            errors=[{"loc": ["status"], "msg": "Use all, open or resolved."}],
        )
    prompt, project, role = _team_prompt(session, principal, prompt_id, write=False)
    assert principal is not None
    query = select(Comment).where(Comment.prompt_id == prompt.id)
    if version is not None:
        query = query.where(Comment.version == version)
    rows = session.exec(query.order_by(Comment.created_at, Comment.id)).all()
    mentions: dict[uuid.UUID, list[CommentMention]] = {}
    if rows:
        for m in session.exec(
            select(CommentMention)
            .where(CommentMention.prompt_id == prompt.id)
            .order_by(CommentMention.created_at)
        ).all():
            mentions.setdefault(m.comment_id, []).append(m)
    names = {uid: name or email for uid, (name, email) in _people(session, project).items()}
    infos = {r.id: _info(r, names, mentions.get(r.id, []), principal, role) for r in rows}
    threads = [infos[r.id] for r in rows if r.parent_id is None]
    for r in rows:
        if r.parent_id is not None and r.parent_id in infos:
            infos[r.parent_id].replies.append(infos[r.id])
    resolved = sum(1 for t in threads if t.resolved_at is not None)
    shown = [
        t
        for t in threads
        if status == "all" or (t.resolved_at is not None) == (status == "resolved")
    ]
    return CommentList(
        total=len(threads), open=len(threads) - resolved, resolved=resolved, threads=shown
    )


def get_comment(
    session: Session, principal: Principal | None, comment_id: uuid.UUID | str
) -> CommentInfo:
    comment, prompt, project, role = _comment(session, principal, comment_id, write=False)
    assert principal is not None
    names = {uid: name or email for uid, (name, email) in _people(session, project).items()}
    mentions = session.exec(
        select(CommentMention).where(CommentMention.comment_id == comment.id)
    ).all()
    return _info(comment, names, list(mentions), principal, role)


# --------------------------------------------------------------------------- writing
def add_comment(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    version: int | None,
    body: str,
    parent_id: uuid.UUID | str | None = None,
    anchor_other: int | None = None,
    anchor_side: str | None = None,
    anchor_line: int | None = None,
) -> CommentInfo:
    """Comment on a version (any role in the project), on one of its lines in a diff
    (`anchor_*`), or reply to a thread (`parent_id`: the reply joins the thread's version
    and anchor). Mentioned members are recorded and notified."""
    prompt, project, _ = _team_prompt(session, principal, prompt_id, write=True)
    assert principal is not None
    text = _clean_body(body)
    parent = None
    if parent_id:
        try:
            parent = session.get(Comment, uuid.UUID(str(parent_id)))
        except ValueError:
            parent = None
        if parent is None or parent.prompt_id != prompt.id:
            raise NotFound("The comment you reply to no longer exists.")
        if parent.parent_id is not None:  # a reply to a reply joins the same thread
            parent = session.get(Comment, parent.parent_id)
        assert parent is not None
    if parent is not None:  # the thread's place, even if its diff's other version is gone
        row = _version(session, prompt.id, parent.version)
        other, side, line = parent.anchor_other, parent.anchor_side, parent.anchor_line
    else:
        row = _version(session, prompt.id, version)
        other, side, line = _check_anchor(session, row, anchor_other, anchor_side, anchor_line)
    comment = Comment(
        prompt_id=prompt.id,
        version_id=row.id,
        version=row.version,
        anchor_other=other,
        anchor_side=side,
        anchor_line=line,
        parent_id=parent.id if parent else None,
        author_id=principal.user_id,
        body=text,
    )
    _save(session, principal, project, prompt, comment)
    return get_comment(session, principal, comment.id)


def edit_comment(
    session: Session, principal: Principal | None, comment_id: uuid.UUID | str, *, body: str
) -> CommentInfo:
    """The author changes their comment's text; people newly mentioned are notified."""
    comment, prompt, project, _ = _comment(session, principal, comment_id)
    assert principal is not None
    if comment.author_id != principal.user_id:
        raise PermissionDenied("Only its author can edit a comment.")
    text = _clean_body(body)
    if text != comment.body:
        comment.body = text
        comment.edited_at = utcnow()
        _save(session, principal, project, prompt, comment)
    return get_comment(session, principal, comment.id)


def delete_comment(
    session: Session, principal: Principal | None, comment_id: uuid.UUID | str
) -> None:
    """The author deletes their comment (a thread's first comment takes its replies along)."""
    comment, prompt, project, _ = _comment(session, principal, comment_id)
    assert principal is not None
    if comment.author_id != principal.user_id:
        raise PermissionDenied("Only its author can delete a comment.")
    # Replies by other people go with the thread (the database cascades; row-level security
    # would hide the cascade's rows from no one, as foreign-key actions bypass it).
    session.delete(comment)
    session.flush()
    _announce(session, project, prompt.id)


def set_resolved(
    session: Session, principal: Principal | None, comment_id: uuid.UUID | str, resolved: bool
) -> CommentInfo:
    """Resolve (or reopen) a thread: the owner and editors any thread, an author their own."""
    comment, prompt, project, role = _comment(session, principal, comment_id)
    assert principal is not None
    if comment.parent_id is not None:
        raise ValidationFailed(
            "Resolve the thread, not a reply.",
            errors=[{"loc": ["comment_id"], "msg": "This is a reply; resolve its thread."}],
        )
    if role not in ("owner", "editor") and comment.author_id != principal.user_id:
        raise PermissionDenied("Only editors, the owner or the thread's author can resolve it.")
    if resolved != (comment.resolved_at is not None):
        comment.resolved_at = utcnow() if resolved else None
        comment.resolved_by = principal.user_id if resolved else None
        session.add(comment)
        session.flush()
        _announce(session, project, prompt.id)
    return get_comment(session, principal, comment.id)


# --------------------------------------------------------------------------- my mentions
def my_mentions(
    session: Session, principal: Principal | None, *, unread_only: bool = False, limit: int = 50
) -> list[MyMention]:
    """Where the caller was mentioned, newest first (what a notification list shows)."""
    principal = require_user(principal)
    query = (
        select(CommentMention, Comment)
        .join(Comment, Comment.id == CommentMention.comment_id)
        .where(CommentMention.user_id == principal.user_id)
    )
    if unread_only:
        query = query.where(CommentMention.read_at.is_(None))  # type: ignore[union-attr]
    rows = session.exec(
        query.add_columns(display_name(session, Comment.author_id))
        .order_by(CommentMention.created_at.desc())  # type: ignore[attr-defined]
        .limit(limit)
    ).all()
    return [
        MyMention(
            id=str(mention.id),
            comment_id=str(comment.id),
            prompt_id=str(comment.prompt_id),
            version=comment.version,
            author_name=author or "",
            body=comment.body,
            created_at=mention.created_at,
            read_at=mention.read_at,
        )
        for mention, comment, author in rows
        if principal.api_key_project_id is None or _prompt_reached(session, principal, comment)
    ]


def _prompt_reached(session: Session, principal: Principal, comment: Comment) -> bool:
    try:
        access.get_prompt(session, principal, comment.prompt_id)
    except NotFound:
        return False
    return True


def mark_mentions_read(session: Session, principal: Principal | None) -> int:
    """Mark all the caller's mentions read; returns how many were unread."""
    principal = require_write(principal)
    rows = session.exec(
        select(CommentMention).where(
            CommentMention.user_id == principal.user_id,
            CommentMention.read_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
        session.add(row)
    session.flush()
    return len(rows)
