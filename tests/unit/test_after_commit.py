"""db.after_commit: side effects run once the change is committed, never after a rollback."""

from sqlmodel import Session

from promptrepo.db import after_commit
from promptrepo.services import cache
from tests.factories import make_user


def test_callbacks_run_after_commit_once_and_not_after_rollback(session: Session) -> None:
    ran: list[str] = []
    after_commit(session, lambda: ran.append("first"))
    make_user(session)
    assert ran == []
    session.commit()
    assert ran == ["first"]

    make_user(session)
    after_commit(session, lambda: ran.append("rolled back"))
    session.rollback()
    session.commit()
    assert ran == ["first"]

    after_commit(session, lambda: ran.append("second"))
    session.commit()
    assert ran == ["first", "second"]


def test_user_entries_are_dropped_again_after_commit(session: Session, kv_backend: str) -> None:
    user = make_user(session)
    cache.put("principal:x", "old", tags=[f"user:{user.user_id}"])
    cache.invalidate_user_now_and_after_commit(session, str(user.user_id))
    # A request that read the old state before the commit puts it back meanwhile...
    cache.put("principal:x", "stale", tags=[f"user:{user.user_id}"])
    session.commit()
    # ...and the commit drops it again.
    assert cache.get("principal:x") is None
