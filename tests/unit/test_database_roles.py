"""The app's PostgreSQL login cannot bypass row-level security (migration 0005).

Connected the way the app connects (as `promptrepo_user`, APP_DATABASE_URL) with user A's
context, raw SQL over every table reads none of user B's rows, changes none, cannot insert rows
in B's name, cannot promote itself, and cannot leave the role with RESET ROLE / SET ROLE /
SET SESSION AUTHORIZATION. The role itself is checked too: no superuser, no BYPASSRLS, owns
nothing, member of nothing. A table added later without an entry in `BELONGS_TO_B` (and
without forced row-level security and policies) fails here. PostgreSQL only: SQLite has no
roles.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel

from promptrepo import db
from promptrepo.models import (
    ApiKey,
    AuditLog,
    AuthSession,
    Comment,
    CommentMention,
    Credential,
    Identity,
    LabelEvent,
    LabelSplit,
    ModelPrice,
    Notification,
    PlaygroundRun,
    Project,
    ProjectInvite,
    ProjectMember,
    Prompt,
    ProviderConnection,
    ReleaseProposal,
    Segment,
    StripeEvent,
    TestCase,
    TestRun,
    Validator,
    Version,
    VersionLabel,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from promptrepo.services import sessions
from promptrepo.settings import APP_ROLE, SYSTEM_ROLE
from tests.conftest import truncate_all
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
B_PROJECTS = "SELECT id FROM projects WHERE user_id = :b"
B_PROMPTS = (
    "SELECT p.id FROM prompts p JOIN segments s ON s.id = p.segment_id "
    f"WHERE s.project_id IN ({B_PROJECTS})"
)
# table -> the condition that picks user B's rows (stripe_events: every row is the system's).
BELONGS_TO_B = {
    "profiles": "id = :b",
    "credentials": "user_id = :b",
    "identities": "user_id = :b",
    "auth_sessions": "user_id = :b",
    "api_keys": "user_id = :b",
    "billing": "user_id = :b",
    "audit_log": "actor_id = :b",
    "stripe_events": "true",
    "projects": "user_id = :b",
    "segments": f"project_id IN ({B_PROJECTS})",
    "prompts": f"segment_id IN (SELECT id FROM segments WHERE project_id IN ({B_PROJECTS}))",
    "validators": f"prompt_id IN ({B_PROMPTS})",
    "versions": f"prompt_id IN ({B_PROMPTS})",
    "version_labels": f"prompt_id IN ({B_PROMPTS})",
    "label_events": f"prompt_id IN ({B_PROMPTS})",
    "label_splits": f"prompt_id IN ({B_PROMPTS})",
    "webhooks": f"project_id IN ({B_PROJECTS})",
    "webhook_deliveries": f"project_id IN ({B_PROJECTS})",
    "provider_connections": "user_id = :b",
    "model_prices": "user_id = :b",
    "playground_runs": f"prompt_id IN ({B_PROMPTS})",
    "test_cases": f"prompt_id IN ({B_PROMPTS})",
    "test_runs": f"prompt_id IN ({B_PROMPTS})",
    "project_members": f"project_id IN ({B_PROJECTS})",
    "project_invites": f"project_id IN ({B_PROJECTS})",
    "comments": f"prompt_id IN ({B_PROMPTS})",
    "comment_mentions": f"prompt_id IN ({B_PROMPTS})",
    "release_proposals": f"prompt_id IN ({B_PROMPTS})",
    "notifications": "user_id = :b",
}


@pytest.fixture
def pg(pg_engine: Engine) -> Engine:
    truncate_all(pg_engine)
    return pg_engine


def _seed_user(s: Session, name: str):
    user = make_user(s, name=name)
    uid = user.user_id
    s.add(Credential(user_id=uid, password_hash="$argon2id$not-a-real-hash"))
    s.add(Identity(user_id=uid, provider="supabase", subject=f"sub-{uuid.uuid4()}"))
    s.add(
        AuthSession(
            user_id=uid,
            token_hash=uuid.uuid4().hex * 2,
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    s.add(ApiKey(user_id=uid, name="k", prefix="pr_x", key_hash=uuid.uuid4().hex * 2))
    s.add(AuditLog(actor_id=uid, action="seed", target_type="user", target_id=str(uid)))
    project = Project(user_id=uid, name=f"{name}'s private project")
    s.add(project)
    s.flush()
    segment = Segment(project_id=project.id, name="S")
    s.add(segment)
    s.flush()
    prompt = Prompt(segment_id=segment.id, name="p", content=f"{name}'s secret")
    s.add(prompt)
    s.flush()
    s.add(Validator(prompt_id=prompt.id, type="regex", config={"pattern": "x"}))
    version = Version(prompt_id=prompt.id, version=1, content="v1", author_id=uid)
    s.add(version)
    s.flush()
    s.add(VersionLabel(prompt_id=prompt.id, version_id=version.id, name="production"))
    s.add(LabelEvent(prompt_id=prompt.id, label="production", to_version=1, actor_id=uid))
    s.add(LabelSplit(prompt_id=prompt.id, label="production", version_id=version.id, weight=90))
    # the tables the webhooks, playground and test-case features added
    hook = Webhook(project_id=project.id, url="https://example.com/h", events=["label.moved"])
    hook.secret = "whsec_" + uuid.uuid4().hex
    s.add(hook)
    s.flush()
    s.add(
        WebhookDelivery(
            webhook_id=hook.id,
            project_id=project.id,
            message_id="msg_" + uuid.uuid4().hex,
            event_type="label.moved",
            payload={"secret": f"{name}'s"},
        )
    )
    s.add(ProviderConnection(user_id=uid, name="p", base_url="https://example.com/v1"))
    s.add(ModelPrice(user_id=uid, model="m", input_per_million=1.0))
    s.add(PlaygroundRun(prompt_id=prompt.id, user_id=uid, provider="echo", output="secret"))
    s.add(TestCase(prompt_id=prompt.id, name=f"{name}'s case"))
    s.add(TestRun(prompt_id=prompt.id, version_id=version.id, user_id=uid, provider="echo"))
    # the team tables (migration 0018): a friend of theirs is a viewer, another invited
    friend = make_user(s, name=f"{name}'s friend")
    s.add(ProjectMember(project_id=project.id, user_id=friend.user_id, role="viewer"))
    s.add(
        ProjectInvite(
            project_id=project.id,
            email=f"invitee-{uuid.uuid4().hex[:8]}@example.com",
            role="editor",
            token_hash=uuid.uuid4().hex * 2,
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    # comments (migration 0020): the friend's comment on version 1, mentioning B
    s.flush()
    comment = Comment(
        prompt_id=prompt.id,
        version_id=version.id,
        version=1,
        author_id=friend.user_id,
        body=f"@{name} {name}'s secret",
    )
    s.add(comment)
    s.flush()
    s.add(CommentMention(comment_id=comment.id, prompt_id=prompt.id, user_id=uid, token="@b"))
    # reviewed releases (migration 0019): an open proposal, and a notification for them
    s.add(ReleaseProposal(prompt_id=prompt.id, label="production", to_version=1, proposer_id=uid))
    s.add(Notification(user_id=uid, project_id=project.id, kind="proposal", text="secret"))
    return user


@pytest.fixture
def a_and_b(pg: Engine):
    with Session(pg, expire_on_commit=False) as s:
        a = _seed_user(s, "Alice")
        b = _seed_user(s, "Bob")
        s.add(StripeEvent(id=f"evt_{uuid.uuid4().hex}", type="customer.created", verified=True))
        s.commit()
    return a, b


def _b_rows(engine: Engine, table: str, b: uuid.UUID) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(f"SELECT count(*) FROM {table} WHERE {BELONGS_TO_B[table]}"), {"b": b}
        ).scalar_one()


def _as_app(pg_app_engine: Engine, user_id: uuid.UUID) -> Session:
    session = Session(pg_app_engine)
    db.act_as(session, user_id)
    return session


def _attempt(session: Session, sql: str, params: dict) -> int:
    """Run one write in a savepoint: the rows it changed (0 when the database refused)."""
    savepoint = session.begin_nested()
    try:
        changed = session.execute(text(sql), params).rowcount
    except DBAPIError:
        savepoint.rollback()
        return 0
    savepoint.rollback()  # leave B's data as it was for the next table either way
    return changed


def _visible(session: Session, table: str, params: dict) -> int:
    """How many of B's rows in `table` this session reads (0 when the database refuses)."""
    savepoint = session.begin_nested()
    try:
        sql = f"SELECT count(*) FROM {table} WHERE {BELONGS_TO_B[table]}"
        return session.execute(text(sql), params).scalar_one()
    except DBAPIError:
        return 0
    finally:
        savepoint.rollback()


def _updatable_column(pg: Engine, table: str) -> str | None:
    with pg.connect() as conn:
        return conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                "AND has_column_privilege(:role, format('%I', table_name), column_name, 'UPDATE') "
                "ORDER BY ordinal_position LIMIT 1"
            ),
            {"t": table, "role": APP_ROLE},
        ).scalar_one_or_none()


def test_every_table_is_covered_here() -> None:
    tables = {t.name for t in SQLModel.metadata.sorted_tables}
    missing = tables - set(BELONGS_TO_B)
    assert not missing, (
        f"tables {sorted(missing)} hold data but have no entry in BELONGS_TO_B: give each "
        "forced row-level security and policies in a migration, then add it here"
    )


def test_every_table_forces_row_level_security(pg: Engine) -> None:
    with pg.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, relrowsecurity, relforcerowsecurity, "
                "(SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) FROM pg_class c "
                "WHERE relname = ANY(:names)"
            ),
            {"names": list(BELONGS_TO_B)},
        ).all()
    assert {r[0] for r in rows} == set(BELONGS_TO_B)
    for name, enabled, forced, policies in rows:
        assert enabled and forced and policies >= 2, name


def test_the_app_role_cannot_bypass_anything(pg: Engine, pg_app_engine: Engine) -> None:
    with pg_app_engine.connect() as conn:
        me = conn.execute(
            text(
                "SELECT current_user, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb "
                "FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        assert tuple(me) == (APP_ROLE, False, False, False, False)
        owned = conn.execute(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user"
            )
        ).scalar_one()
        assert owned == 0
        member_of = conn.execute(
            text(
                "SELECT count(*) FROM pg_auth_members WHERE member = "
                "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
            )
        ).scalar_one()
        assert member_of == 0
        # not even the migration bookkeeping
        assert not conn.execute(
            text("SELECT has_table_privilege('alembic_version', 'UPDATE')")
        ).scalar_one()


def test_acting_as_a_reads_and_changes_none_of_bs_rows(
    pg: Engine, pg_app_engine: Engine, a_and_b
) -> None:
    a, b = a_and_b
    params = {"b": b.user_id}
    for table in BELONGS_TO_B:
        assert _b_rows(pg, table, b.user_id) >= 1, f"the seed has no row of B in {table}"
    with _as_app(pg_app_engine, a.user_id) as s:
        for table, condition in BELONGS_TO_B.items():
            visible = _visible(s, table, params)
            assert visible == 0, f"A reads {visible} of B's rows in {table}"
            column = _updatable_column(pg, table)
            if column is not None:
                update = f"UPDATE {table} SET {column} = {column} WHERE {condition}"
                assert _attempt(s, update, params) == 0, f"A changed B's rows in {table}"
            assert _attempt(s, f"DELETE FROM {table} WHERE {condition}", params) == 0, table
        # A sees their own rows, so the zeros above are the policies, not an empty database.
        own = s.execute(text("SELECT count(*) FROM prompts")).scalar_one()
        assert own == 1
        for sql in (
            "INSERT INTO projects (id, user_id, name, description, is_public, fork_count, "
            "created_at, updated_at) VALUES (gen_random_uuid(), :b, 'x', '', false, 0, now(), "
            "now())",
            "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scope, created_at) "
            "VALUES (gen_random_uuid(), :b, 'x', 'pr_x', md5(random()::text), 'write', now())",
            "INSERT INTO auth_sessions (id, user_id, token_hash, created_at, expires_at, "
            "user_agent, ip_address) VALUES (gen_random_uuid(), :b, md5(random()::text), "
            "now(), now() + interval '1 day', '', '')",
            "INSERT INTO audit_log (id, actor_id, action, target_type, target_id, details, "
            "created_at) VALUES (gen_random_uuid(), :b, 'forged', 'user', 'x', '{}', now())",
        ):
            assert _attempt(s, sql, params) == 0, sql
        # The complaints of the issue: password hashes, promoting oneself or B, plans.
        assert s.execute(text("SELECT count(*) FROM credentials")).scalar_one() == 1
        assert _attempt(s, "UPDATE profiles SET role = 'admin' WHERE id = :b", params) == 0
        assert _attempt(s, "UPDATE profiles SET role = 'admin'", {}) == 0
        assert _attempt(s, "UPDATE profiles SET suspended_at = NULL", {}) == 0
        assert _attempt(s, "UPDATE billing SET plan = 'enterprise'", {}) == 0
        assert _attempt(s, "SELECT count(*) FROM stripe_events", {}) == 0
    for table in BELONGS_TO_B:  # and B's data is all still there
        assert _b_rows(pg, table, b.user_id) >= 1, table


@pytest.mark.parametrize(
    "escape",
    [
        "RESET ROLE",
        "SET ROLE postgres",
        f"SET ROLE {SYSTEM_ROLE}",
        "SET ROLE NONE",
        "SET SESSION AUTHORIZATION postgres",
        "RESET SESSION AUTHORIZATION",
        "SELECT set_config('role', 'postgres', false)",
        "SET LOCAL ROLE postgres",
    ],
)
def test_the_app_role_cannot_switch_to_another_role(
    pg: Engine, pg_app_engine: Engine, a_and_b, escape: str
) -> None:
    a, b = a_and_b
    with _as_app(pg_app_engine, a.user_id) as s:
        try:
            with s.begin_nested():
                s.execute(text(escape))
        except DBAPIError:
            pass  # refused: good; the checks below hold either way
        assert s.execute(text("SELECT current_user")).scalar_one() == APP_ROLE
        for table in BELONGS_TO_B:
            visible = _visible(s, table, {"b": b.user_id})
            assert visible == 0, f"after {escape!r}, A reads B's rows in {table}"


def test_the_context_is_per_transaction(pg: Engine, pg_app_engine: Engine, a_and_b) -> None:
    a, _ = a_and_b
    with pg_app_engine.connect() as conn:
        with conn.begin():
            conn.execute(text("SELECT set_config('app.user_id', :a, true)"), {"a": str(a.user_id)})
            assert conn.execute(text("SELECT count(*) FROM prompts")).scalar_one() == 1
        # a new transaction on the same pooled connection: nobody again
        assert conn.execute(text("SELECT count(*) FROM prompts")).scalar_one() == 0
    # act_as keeps the user for every transaction of its session (commit in between)
    with _as_app(pg_app_engine, a.user_id) as s:
        s.commit()
        assert s.execute(text("SELECT count(*) FROM prompts")).scalar_one() == 1


def test_session_tokens_resolve_through_the_named_function(
    pg: Engine, pg_app_engine: Engine, a_and_b
) -> None:
    a, _ = a_and_b
    with Session(pg) as s:
        token = sessions.create_session(s, a.user_id)
        s.commit()
    with Session(pg_app_engine) as s:  # no user yet: the table itself shows nothing
        assert s.execute(text("SELECT count(*) FROM auth_sessions")).scalar_one() == 0
        assert sessions.resolve_session(s, token).user_id == a.user_id
        assert sessions.resolve_session(s, token + "x") is None


def test_resolving_a_session_and_acting_as_its_user_is_one_statement(
    pg: Engine, pg_app_engine: Engine, a_and_b
) -> None:
    """An autosave resolves its token and acts as the user in one statement; the session
    then sees the user's own rows, in that transaction and in the next."""
    a, _ = a_and_b
    with Session(pg) as s:
        token = sessions.create_session(s, a.user_id)
        s.commit()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(pg_app_engine, "before_cursor_execute", count)
    with Session(pg_app_engine) as s:
        assert sessions.resolve_session_and_act_as(s, token + "x") is None
        assert s.execute(text("SELECT current_setting('app.user_id', true)")).scalar() in (None, "")
        statements.clear()
        assert sessions.resolve_session_and_act_as(s, token).user_id == a.user_id
        assert len(statements) == 1
        own = text("SELECT count(*) FROM profiles WHERE id = :a")
        assert s.execute(own, {"a": a.user_id}).scalar_one() == 1
        s.commit()
        assert s.execute(own, {"a": a.user_id}).scalar_one() == 1  # the next transaction too
    event.remove(pg_app_engine, "before_cursor_execute", count)


def test_the_system_role_is_separate_and_sees_everything(pg: Engine, a_and_b) -> None:
    from promptrepo.settings import derived_role_url

    url = derived_role_url(pg.url.render_as_string(hide_password=False), SYSTEM_ROLE, None)
    system = db.build_engine(url, pool_size=1)
    try:
        with system.connect() as conn:
            # Alice, Bob and a friend of each
            assert conn.execute(text("SELECT count(*) FROM profiles")).scalar_one() == 4
            with pytest.raises(DBAPIError):
                conn.execute(text("DROP TABLE stripe_events"))
    finally:
        system.dispose()


def test_every_system_path_is_used_and_documented() -> None:
    architecture = (ROOT / "ARCHITECTURE.md").read_text()
    sources = "\n".join(
        p.read_text() for p in [*ROOT.glob("promptrepo/**/*.py"), *ROOT.glob("admin/**/*.py")]
    )
    used = set(re.findall(r'system_scope\("([a-z-]+)"\)', sources))
    assert used == set(db.SYSTEM_PATHS), "system_scope purposes and db.SYSTEM_PATHS differ"
    for purpose in db.SYSTEM_PATHS:
        assert f"`{purpose}`" in architecture, f"ARCHITECTURE.md does not list `{purpose}`"


def test_a_user_deletes_their_own_account_as_the_app_role(
    pg: Engine, pg_app_engine: Engine, a_and_b
) -> None:
    """Account deletion runs under the app role: the cascade removes every row of A (billing
    too, which A may not write directly) and nothing of B's."""
    from promptrepo.services import accounts

    a, b = a_and_b
    with _as_app(pg_app_engine, a.user_id) as s:
        accounts.delete_account(s, a, confirmation=a.email)
        s.commit()
    for table in ("profiles", "billing", "projects", "api_keys", "auth_sessions"):
        column = "id" if table == "profiles" else "user_id"
        with pg.connect() as conn:
            left = conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE {column} = :a"), {"a": a.user_id}
            ).scalar_one()
        assert left == 0, table
        assert _b_rows(pg, table, b.user_id) >= 1, table
    with pg.connect() as conn:
        logged = conn.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'account.deleted' AND target_id = :a"
            ),
            {"a": str(a.user_id)},
        ).scalar_one()
    assert logged == 1


def test_autosaves_extend_their_own_audit_entry_as_the_app_role(
    pg: Engine, pg_app_engine: Engine, a_and_b
) -> None:
    """A stretch of autosaves is one audit entry, updated in place: the app role may do that
    to its own `prompt.saved` entries (migration 0014), and to nothing else in the log."""
    from promptrepo.services import audit

    a, b = a_and_b
    target = uuid.uuid4()
    with _as_app(pg_app_engine, a.user_id) as s:
        audit.record_edit(
            s, a.user_id, "prompt.saved", "prompt", target, revision=2, fields=["content"]
        )
        s.commit()
    with _as_app(pg_app_engine, a.user_id) as s:
        audit.record_edit(
            s, a.user_id, "prompt.saved", "prompt", target, revision=3, fields=["name"]
        )
        s.commit()
    with pg.connect() as conn:
        rows = conn.execute(
            text("SELECT details FROM audit_log WHERE target_id = :t"), {"t": str(target)}
        ).all()
    assert len(rows) == 1 and rows[0].details["edits"] == 2
    with _as_app(pg_app_engine, a.user_id) as s:  # someone else's entry: not even visible
        assert (
            _attempt(s, "UPDATE audit_log SET details = '{}' WHERE actor_id = :b", {"b": b.user_id})
            == 0
        )
