"""Database sessions for state handlers, under row-level security for the acting user."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from promptrepo.db import act_as, session_scope
from promptrepo.services.principal import Principal


@contextmanager
def user_session(principal: Principal | None) -> Iterator[Session]:
    """`session_scope()` confined (on PostgreSQL) to what `principal` may see.

    Signed out (None), only public projects are visible. The services check access
    themselves; this is the database's second line of defence.
    """
    with session_scope(acting_as=principal.user_id if principal else None) as session:
        if principal is None:
            act_as(session, None)
        yield session
