"""Teams: project members with roles, and invitations by e-mail.

`project_members` (editor or viewer; the owner stays `projects.user_id`) and `project_invites`
(an e-mail, a role, the SHA-256 of the link's token, an expiry, and how it ended).

Row-level security learns roles through one function, `app_project_role(project_id)`:
'owner', 'editor', 'viewer' or NULL for the acting user. On it:
- `app_can_read_project` (every read policy since 0002): public, or any role;
- `app_can_edit_project` (new): owner or editor. The content tables' write policies
  (segments, prompts, validators, versions, version_labels, label_events, label_splits,
  test_cases, test_runs) move from `app_owns_project` to it; the project row itself may be updated by
  editors too (a content change moves its `updated_at`, and locks it `FOR UPDATE`, which
  PostgreSQL checks against the UPDATE policy). Renaming, visibility and deletion stay the
  owner's in services/access.py;
- `app_owns_project` stays owner-only: webhooks, members, invitations (manage rights);
- playground runs: the owner's as before, and each member's own runs.
Helpers for what crosses users inside a team: `app_invite_by_token(sha256)` (knowing the
link's token is the capability, as for sessions), `app_invited_to(project, role)` (an
invitee may add themselves, with the invited role, while the invitation is open),
`app_member_profiles(project)` (names and e-mails of a project's people, for its members),
`app_owner_usage(user)` and `app_lock_owner(user)` (an owner's plan and counts, and their
plan-limit lock, so an editor's change is measured against the owner's plan),
`app_enqueue_webhooks(project, type, payload)` (an editor's publish queues the owner's
webhook deliveries without reading the endpoints) and `app_profile_name` now also names people one shares a
project with.

Revision ID: 0018
Revises: 0017 (0015 was this migration's number while 0016 and 0017 were written in
parallel on 0014; it follows them so there is one head)
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from promptrepo.db_policies import APP_ROLE, SYSTEM_ROLE, secure_table

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EDIT_BY_PROMPT = "app_can_edit_project(app_prompt_project(prompt_id))"
OWN_BY_PROMPT = "app_owns_project(app_prompt_project(prompt_id))"
# table -> (new write condition, old write condition, commands that use it)
CONTENT_WRITES = {
    "segments": (
        "app_can_edit_project(project_id)",
        "app_owns_project(project_id)",
        ("INSERT", "UPDATE", "DELETE"),
    ),
    "prompts": (
        "app_can_edit_project(app_segment_project(segment_id))",
        "app_owns_project(app_segment_project(segment_id))",
        ("INSERT", "UPDATE", "DELETE"),
    ),
    **{
        t: (EDIT_BY_PROMPT, OWN_BY_PROMPT, ("INSERT", "UPDATE", "DELETE"))
        for t in ("validators", "versions", "version_labels", "test_cases", "test_runs")
    },
    "label_events": (EDIT_BY_PROMPT, OWN_BY_PROMPT, ("INSERT", "DELETE")),
    "label_splits": (EDIT_BY_PROMPT, OWN_BY_PROMPT, ("INSERT", "DELETE")),
}
RUNS_NEW = (
    f"{OWN_BY_PROMPT} OR (user_id = app_user_id() "
    "AND app_project_role(app_prompt_project(prompt_id)) IS NOT NULL)"
)
NOT_APP = f"NOT (session_user = '{APP_ROLE}' OR current_setting('role') = '{APP_ROLE}')"

FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION app_project_role(pid uuid) RETURNS text
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT CASE WHEN p.user_id = app_user_id() THEN 'owner'
                 ELSE (SELECT m.role::text FROM project_members m
                       WHERE m.project_id = p.id AND m.user_id = app_user_id()) END
          FROM projects p WHERE p.id = pid $$""",
    """CREATE OR REPLACE FUNCTION app_can_read_project(pid uuid) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT EXISTS (SELECT 1 FROM projects WHERE id = pid AND is_public)
                 OR app_project_role(pid) IS NOT NULL $$""",
    """CREATE OR REPLACE FUNCTION app_can_edit_project(pid uuid) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT coalesce(app_project_role(pid) IN ('owner', 'editor'), false) $$""",
    # Whether the acting user and `uid` are both in some project (as owner or member).
    """CREATE OR REPLACE FUNCTION app_shares_project(uid uuid) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT EXISTS (
            SELECT 1 FROM projects p
            WHERE (p.user_id = app_user_id() OR EXISTS (SELECT 1 FROM project_members m
                   WHERE m.project_id = p.id AND m.user_id = app_user_id()))
              AND (p.user_id = uid OR EXISTS (SELECT 1 FROM project_members m
                   WHERE m.project_id = p.id AND m.user_id = uid))) $$""",
    """CREATE OR REPLACE FUNCTION app_user_email() RETURNS text
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT lower(email::text) FROM profiles WHERE id = app_user_id() $$""",
    """CREATE OR REPLACE FUNCTION app_invite_by_token(token_sha256 text)
       RETURNS TABLE (id uuid, project_id uuid, email text, role text, project_name text,
                      invited_by_name text, status text, expires_at timestamptz)
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT i.id, i.project_id, i.email::text, i.role::text, i.project_name::text,
                 i.invited_by_name::text, i.status::text, i.expires_at
          FROM project_invites i WHERE i.token_hash = token_sha256 $$""",
    """CREATE OR REPLACE FUNCTION app_invited_to(pid uuid, wanted_role text) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT EXISTS (SELECT 1 FROM project_invites i
                         WHERE i.project_id = pid AND i.role = wanted_role
                           AND i.status = 'pending' AND i.expires_at > now()
                           AND lower(i.email) = app_user_email()) $$""",
    f"""CREATE OR REPLACE FUNCTION app_member_profiles(pid uuid)
       RETURNS TABLE (user_id uuid, name text, email text)
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT pr.id, pr.name::text, pr.email::text FROM profiles pr
          WHERE (app_project_role(pid) IS NOT NULL OR {NOT_APP})
            AND (pr.id = (SELECT user_id FROM projects WHERE id = pid)
                 OR pr.id IN (SELECT m.user_id FROM project_members m WHERE m.project_id = pid))
       $$""",
    f"""CREATE OR REPLACE FUNCTION app_owner_usage(uid uuid)
       RETURNS TABLE (plan text, status text, projects bigint, prompts bigint)
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT (SELECT b.plan::text FROM billing b WHERE b.user_id = uid),
                 (SELECT b.status::text FROM billing b WHERE b.user_id = uid),
                 (SELECT count(*) FROM projects p WHERE p.user_id = uid),
                 (SELECT count(*) FROM prompts q JOIN segments s ON s.id = q.segment_id
                  JOIN projects p ON p.id = s.project_id WHERE p.user_id = uid)
          WHERE uid = app_user_id() OR app_shares_project(uid) OR {NOT_APP} $$""",
    # An editor's publish queues the project's webhook deliveries; editors may not read the
    # endpoints (their secrets are the owner's), so the queueing happens in here.
    f"""CREATE OR REPLACE FUNCTION app_enqueue_webhooks(pid uuid, kind text, body jsonb)
       RETURNS integer
       LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
       $$ WITH queued AS (
            INSERT INTO webhook_deliveries (id, webhook_id, project_id, message_id, event_type,
                                            payload, status, attempts, next_attempt_at,
                                            created_at)
            SELECT gen_random_uuid(), w.id, pid,
                   'msg_' || replace(gen_random_uuid()::text, '-', ''), kind, body,
                   'pending', 0, now(), now()
            FROM webhooks w
            WHERE w.project_id = pid AND w.disabled_at IS NULL AND w.events ? kind
              AND (app_can_edit_project(pid) OR {NOT_APP})
            RETURNING 1)
          SELECT count(*)::integer FROM queued $$""",
    # An editor adding prompts takes the owner's plan-limit lock (services/locks.lock_owner).
    f"""CREATE OR REPLACE FUNCTION app_lock_owner(uid uuid) RETURNS boolean
       LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
       $$ SELECT true FROM profiles
          WHERE id = uid AND (uid = app_user_id() OR app_shares_project(uid) OR {NOT_APP})
          FOR UPDATE $$""",
    f"""CREATE OR REPLACE FUNCTION app_profile_name(uid uuid) RETURNS text
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT name::text FROM profiles
          WHERE id = uid AND (id = app_user_id()
                OR EXISTS (SELECT 1 FROM projects WHERE user_id = uid AND is_public)
                OR app_shares_project(uid)
                OR {NOT_APP}) $$""",
]
OLD_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION app_can_read_project(pid uuid) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT EXISTS (SELECT 1 FROM projects
                         WHERE id = pid AND (is_public OR user_id = app_user_id())) $$""",
    f"""CREATE OR REPLACE FUNCTION app_profile_name(uid uuid) RETURNS text
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT name::text FROM profiles
          WHERE id = uid AND (id = app_user_id()
                OR EXISTS (SELECT 1 FROM projects WHERE user_id = uid AND is_public)
                OR {NOT_APP}) $$""",
]
NEW_FUNCTION_NAMES = (
    "app_enqueue_webhooks(uuid, text, jsonb)",
    "app_lock_owner(uuid)",
    "app_owner_usage(uuid)",
    "app_member_profiles(uuid)",
    "app_invited_to(uuid, text)",
    "app_invite_by_token(text)",
    "app_user_email()",
    "app_shares_project(uuid)",
    "app_can_edit_project(uuid)",
    "app_project_role(uuid)",
)


def _create_tables() -> None:
    op.create_table(
        "project_members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('editor', 'viewer')", name=op.f("ck_project_members_role")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_members_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["profiles.id"],
            name=op.f("fk_project_members_user_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["profiles.id"],
            name=op.f("fk_project_members_invited_by_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_members")),
        sa.UniqueConstraint("project_id", "user_id", name="uq_project_members_project_user"),
    )
    with op.batch_alter_table("project_members", schema=None) as batch_op:
        for column in ("project_id", "user_id", "invited_by"):
            batch_op.create_index(batch_op.f(f"ix_project_members_{column}"), [column])
    op.create_table(
        "project_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("project_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "invited_by_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('editor', 'viewer')", name=op.f("ck_project_invites_role")),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'revoked')",
            name=op.f("ck_project_invites_status"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_invites_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["profiles.id"],
            name=op.f("fk_project_invites_invited_by_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_project_invites_token_hash")),
    )
    with op.batch_alter_table("project_invites", schema=None) as batch_op:
        batch_op.create_index("ix_project_invites_email", ["email"])
        for column in ("project_id", "invited_by"):
            batch_op.create_index(batch_op.f(f"ix_project_invites_{column}"), [column])


def _replace_policy(table: str, command: str, condition: str) -> None:
    name = f"{table}_user_{command.lower()}"
    op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
    clause = {
        "SELECT": f"USING ({condition})",
        "INSERT": f"WITH CHECK ({condition})",
        "UPDATE": f"USING ({condition}) WITH CHECK ({condition})",
        "DELETE": f"USING ({condition})",
    }[command]
    op.execute(f"CREATE POLICY {name} ON {table} FOR {command} TO {APP_ROLE} {clause}")


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in FUNCTIONS:
        op.execute(statement)
    for name in (
        "app_invite_by_token(text)",
        "app_member_profiles(uuid)",
        "app_owner_usage(uuid)",
        "app_lock_owner(uuid)",
        "app_enqueue_webhooks(uuid, text, jsonb)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}, {SYSTEM_ROLE}")
    secure_table(
        op,
        "project_members",
        {
            "SELECT": "app_project_role(project_id) IS NOT NULL",
            "INSERT": "app_owns_project(project_id) "
            "OR (user_id = app_user_id() AND app_invited_to(project_id, role))",
            "UPDATE (role)": "app_owns_project(project_id)",
            "DELETE": "app_owns_project(project_id) OR user_id = app_user_id()",
        },
    )
    invitee = "app_owns_project(project_id) OR lower(email) = app_user_email()"
    secure_table(
        op,
        "project_invites",
        {
            "SELECT": invitee,
            "INSERT": "app_owns_project(project_id)",
            "UPDATE (status, responded_at)": invitee,
            "DELETE": "app_owns_project(project_id)",
        },
    )
    _replace_policy("projects", "SELECT", "is_public OR app_project_role(id) IS NOT NULL")
    _replace_policy("projects", "UPDATE", "app_can_edit_project(id)")
    for table, (new, _old, commands) in CONTENT_WRITES.items():
        for command in commands:
            _replace_policy(table, command, new)
    for command in ("SELECT", "INSERT", "UPDATE", "DELETE"):
        _replace_policy("playground_runs", command, RUNS_NEW)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace_policy("projects", "SELECT", "is_public OR user_id = app_user_id()")
        _replace_policy("projects", "UPDATE", "user_id = app_user_id()")
        for table, (_new, old, commands) in CONTENT_WRITES.items():
            for command in commands:
                _replace_policy(table, command, old)
        for command in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            _replace_policy("playground_runs", command, OWN_BY_PROMPT)
        for statement in OLD_FUNCTIONS:
            op.execute(statement)
    op.drop_table("project_invites")
    op.drop_table("project_members")
    if op.get_bind().dialect.name == "postgresql":
        for name in NEW_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
