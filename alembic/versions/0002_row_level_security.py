"""Row-level security on PostgreSQL: a user-scoped role sees only what the user may see.

Sessions opened with `db.session_scope(acting_as=principal)` switch to the role
`promptrepo_user` and set `app.user_id`; these policies then hold whatever the application
code does: owners read and write their projects and everything inside them, everyone reads
public projects, and nobody else sees a private row. The migration role (the table owner)
is not subject to the policies. SQLite has no row-level security: nothing happens there.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "promptrepo_user"

# table -> (read condition, write condition); app_user_id() is the acting user.
POLICIES = {
    "projects": (
        "is_public OR user_id = app_user_id()",
        "user_id = app_user_id()",
    ),
    "segments": ("app_can_read_project(project_id)", "app_owns_project(project_id)"),
    "prompts": (
        "app_can_read_project(app_segment_project(segment_id))",
        "app_owns_project(app_segment_project(segment_id))",
    ),
    "validators": (
        "app_can_read_project(app_prompt_project(prompt_id))",
        "app_owns_project(app_prompt_project(prompt_id))",
    ),
    "versions": (
        "app_can_read_project(app_prompt_project(prompt_id))",
        "app_owns_project(app_prompt_project(prompt_id))",
    ),
    "version_labels": (
        "app_can_read_project(app_prompt_project(prompt_id))",
        "app_owns_project(app_prompt_project(prompt_id))",
    ),
    "api_keys": ("user_id = app_user_id()", "user_id = app_user_id()"),
    "billing": ("user_id = app_user_id()", "user_id = app_user_id()"),
}

FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS
       $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$""",
    # SECURITY DEFINER: the lookups below must see rows the policies would hide.
    """CREATE OR REPLACE FUNCTION app_can_read_project(pid uuid) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT EXISTS (SELECT 1 FROM projects
                         WHERE id = pid AND (is_public OR user_id = app_user_id())) $$""",
    """CREATE OR REPLACE FUNCTION app_owns_project(pid uuid) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT EXISTS (SELECT 1 FROM projects WHERE id = pid AND user_id = app_user_id()) $$""",
    """CREATE OR REPLACE FUNCTION app_segment_project(sid uuid) RETURNS uuid
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT project_id FROM segments WHERE id = sid $$""",
    """CREATE OR REPLACE FUNCTION app_prompt_project(pid uuid) RETURNS uuid
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
       $$ SELECT s.project_id FROM prompts p JOIN segments s ON s.id = p.segment_id
          WHERE p.id = pid $$""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
                CREATE ROLE {ROLE} NOLOGIN;
              END IF;
            END $$"""
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}"
    )
    op.execute(f"GRANT {ROLE} TO CURRENT_USER")
    for statement in FUNCTIONS:
        op.execute(statement)
    for table, (read, write) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT TO {ROLE} USING ({read})")
        op.execute(
            f"CREATE POLICY {table}_insert ON {table} FOR INSERT TO {ROLE} WITH CHECK ({write})"
        )
        op.execute(
            f"CREATE POLICY {table}_update ON {table} FOR UPDATE TO {ROLE} USING ({write}) WITH CHECK ({write})"
        )
        op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE TO {ROLE} USING ({write})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in POLICIES:
        for action in ("read", "insert", "update", "delete"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{action} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for name in (
        "app_prompt_project",
        "app_segment_project",
        "app_owns_project",
        "app_can_read_project",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {name}(uuid)")
    op.execute("DROP FUNCTION IF EXISTS app_user_id()")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {ROLE}"
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {ROLE}")
