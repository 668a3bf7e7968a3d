"""Least-privilege database roles: row-level security the app cannot bypass.

Before, the app logged in as the migration role (a superuser in development) and only
*switched* to `promptrepo_user` inside `session_scope(acting_as=...)`; `RESET ROLE` went back.
Now there are three roles (ARCHITECTURE.md, "Database roles"):

- the **owner** (whoever runs the migrations, DATABASE_URL's user) owns every table and
  function; the app never logs in as it;
- **promptrepo_user** (APP_DATABASE_URL) is the app's login: no superuser, no BYPASSRLS, owns
  nothing, member of no role, so it cannot `SET ROLE` anywhere. Every table holding user data
  has `FORCE ROW LEVEL SECURITY` and policies that show it only the acting user's rows
  (`app.user_id`, set per transaction with `set_config(..., true)`) and public projects.
  It may change only the columns a user may change (not `profiles.role`, never `billing`).
- **promptrepo_system** (SYSTEM_DATABASE_URL) is the login of the named system paths that must
  cross users (db.SYSTEM_PATHS: sign-in, tokens, the Stripe webhook, the admin section, ...):
  its policies show every row, and it has data rights only (no DDL, owns nothing).

A new table gets nothing: no default privileges, so the app cannot touch it until a migration
grants rights and adds policies (tests/unit/test_database_roles.py checks every table).
Passwords: `db.migrate()` sets them from settings after upgrading. SQLite: nothing happens.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "promptrepo_user"
SYSTEM = "promptrepo_system"

OWN = "user_id = app_user_id()"
READ_PROJECT = "app_can_read_project({})"
OWN_PROJECT = "app_owns_project({})"

# table -> {privilege: condition} for the app role. A privilege absent here is not granted;
# UPDATE may name columns ("UPDATE (a, b)"). SELECT/UPDATE/DELETE use the condition as
# USING, INSERT/UPDATE as WITH CHECK.
APP_RIGHTS: dict[str, dict[str, str]] = {
    "profiles": {
        "SELECT": "id = app_user_id()",
        "UPDATE (email, name, theme_preference, updated_at)": "id = app_user_id()",
        "DELETE": "id = app_user_id()",
    },
    "credentials": {
        "SELECT": OWN,
        "UPDATE (password_hash, password_changed_at)": OWN,
    },
    "identities": {"SELECT": OWN, "DELETE": OWN},
    "auth_sessions": {
        "SELECT": OWN,
        "INSERT": OWN,
        "UPDATE (revoked_at)": OWN,
        "DELETE": OWN,
    },
    "api_keys": {
        "SELECT": OWN,
        "INSERT": OWN,
        "UPDATE (name, last_used_at, revoked_at)": OWN,
        "DELETE": OWN,
    },
    "billing": {"SELECT": OWN},
    "audit_log": {
        "SELECT": "actor_id = app_user_id()",
        # an account's deletion is logged without an actor (the profile is gone)
        "INSERT": "actor_id = app_user_id() OR (actor_id IS NULL AND target_type = 'profile' "
        "AND target_id = app_user_id()::text)",
    },
    "stripe_events": {},
    "projects": {
        "SELECT": "is_public OR user_id = app_user_id()",
        "INSERT": OWN,
        "UPDATE": OWN,
        "DELETE": OWN,
    },
}
for _table, _column, _read, _write in [
    ("segments", "project_id", "app_can_read_project(project_id)", "app_owns_project(project_id)"),
    *[
        (
            t,
            "prompt_id",
            "app_can_read_project(app_prompt_project(prompt_id))",
            "app_owns_project(app_prompt_project(prompt_id))",
        )
        for t in ("validators", "versions", "version_labels")
    ],
    (
        "prompts",
        "segment_id",
        "app_can_read_project(app_segment_project(segment_id))",
        "app_owns_project(app_segment_project(segment_id))",
    ),
]:
    APP_RIGHTS[_table] = {"SELECT": _read, "INSERT": _write, "UPDATE": _write, "DELETE": _write}

TABLES = list(APP_RIGHTS)
OLD_POLICIES = ("read", "insert", "update", "delete")  # migration 0002's, replaced here

FUNCTIONS = [
    # The session-token lookup every page event and autosave makes before it knows its user
    # (services/sessions.resolve_session): given the token's SHA-256, the live session's user
    # and nothing else. Knowing the hash is the capability; hashes are readable by nobody.
    """CREATE OR REPLACE FUNCTION app_session_principal(token_sha256 text)
       RETURNS TABLE (id uuid, email text, name text, role text)
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT p.id, p.email::text, p.name::text, p.role::text
          FROM auth_sessions s JOIN profiles p ON p.id = s.user_id
          WHERE s.token_hash = token_sha256 AND s.revoked_at IS NULL
            AND s.expires_at > now() AND p.suspended_at IS NULL $$""",
    # The author's name on a project page and in the gallery (services/projects.py): the name
    # only (never the e-mail), and for the app role only of the acting user or of someone with
    # a public project (the owner and the system role read profiles anyway).
    f"""CREATE OR REPLACE FUNCTION app_profile_name(uid uuid) RETURNS text
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT name::text FROM profiles
          WHERE id = uid AND (id = app_user_id()
                OR EXISTS (SELECT 1 FROM projects WHERE user_id = uid AND is_public)
                OR NOT (session_user = '{APP}' OR current_setting('role') = '{APP}')) $$""",
]


def _create_role(name: str) -> None:
    # Roles are cluster-wide: another database on the server may have made it already, maybe
    # at this very moment (hence the exception handler).
    op.execute(
        f"""DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
                CREATE ROLE {name} LOGIN;
              END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$"""
    )
    op.execute(
        f"""DO $$ BEGIN
              IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}' AND (NOT rolcanlogin
                         OR rolsuper OR rolbypassrls OR rolcreatedb OR rolcreaterole
                         OR rolreplication OR NOT rolinherit)) THEN
                ALTER ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
                  NOREPLICATION INHERIT;
              END IF;
            END $$"""
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _create_role(APP)
    _create_role(SYSTEM)
    # Neither login may become another role (the owner may become the app role: tests and
    # benchmarks act as a user from the owner's connection with `db.act_as`).
    op.execute(
        f"""DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT g.rolname AS grp, m.rolname AS member FROM pg_auth_members a
                       JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
                       WHERE m.rolname IN ('{APP}', '{SYSTEM}') LOOP
                EXECUTE format('REVOKE %I FROM %I', r.grp, r.member);
              END LOOP;
            END $$"""
    )
    op.execute(f"GRANT {APP} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP}, {SYSTEM}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP}, {SYSTEM}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP}"
    )
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for statement in FUNCTIONS:
        op.execute(statement)
    op.execute("REVOKE ALL ON FUNCTION app_session_principal(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION app_session_principal(text) TO {APP}, {SYSTEM}")
    op.execute(f"GRANT EXECUTE ON FUNCTION app_refresh_fork_count(uuid) TO {APP}, {SYSTEM}")
    op.execute("REVOKE ALL ON FUNCTION app_profile_name(uuid) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION app_profile_name(uuid) TO {APP}, {SYSTEM}")

    for table, rights in APP_RIGHTS.items():
        for action in OLD_POLICIES:
            op.execute(f"DROP POLICY IF EXISTS {table}_{action} ON {table}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        # The owner (migrations, SECURITY DEFINER functions) and the system role see all.
        op.execute(
            f"CREATE POLICY {table}_owner ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
        )
        op.execute(
            f"CREATE POLICY {table}_system ON {table} TO {SYSTEM} USING (true) WITH CHECK (true)"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {SYSTEM}")
        for privilege, condition in rights.items():
            command = privilege.split(" ", 1)[0]
            op.execute(f"GRANT {privilege} ON {table} TO {APP}")
            clauses = {
                "SELECT": f"USING ({condition})",
                "INSERT": f"WITH CHECK ({condition})",
                "UPDATE": f"USING ({condition}) WITH CHECK ({condition})",
                "DELETE": f"USING ({condition})",
            }[command]
            op.execute(
                f"CREATE POLICY {table}_user_{command.lower()} ON {table} "
                f"FOR {command} TO {APP} {clauses}"
            )


def downgrade() -> None:
    """Back to 0003's state: 0002's policies for `promptrepo_user` (as a NOLOGIN role the app
    switches to), no forced security, no system role rights. For development databases."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, rights in APP_RIGHTS.items():
        op.execute(f"DROP POLICY IF EXISTS {table}_owner ON {table}")
        op.execute(f"DROP POLICY IF EXISTS {table}_system ON {table}")
        for privilege in rights:
            command = privilege.split(" ", 1)[0].lower()
            op.execute(f"DROP POLICY IF EXISTS {table}_user_{command} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON {table} FROM {SYSTEM}")
        if table not in OLD_TABLES:
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for table, (read, write) in OLD_TABLES.items():
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT TO {APP} USING ({read})")
        op.execute(
            f"CREATE POLICY {table}_insert ON {table} FOR INSERT TO {APP} WITH CHECK ({write})"
        )
        op.execute(
            f"CREATE POLICY {table}_update ON {table} FOR UPDATE TO {APP} "
            f"USING ({write}) WITH CHECK ({write})"
        )
        op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE TO {APP} USING ({write})")
    op.execute("DROP FUNCTION IF EXISTS app_session_principal(text)")
    op.execute("DROP FUNCTION IF EXISTS app_profile_name(uuid)")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP}"
    )


# Migration 0002's policies (restored by a downgrade): table -> (read, write).
OLD_TABLES = {
    t: (APP_RIGHTS[t]["SELECT"], APP_RIGHTS[t]["DELETE"])
    for t in ("segments", "prompts", "validators", "versions", "version_labels")
}
OLD_TABLES.update(
    {
        "projects": ("is_public OR user_id = app_user_id()", OWN),
        "api_keys": (OWN, OWN),
        "billing": (OWN, OWN),
    }
)
