"""The team reads its project's activity: audit entries about a project or its prompts.

Since 0005 the app role read only the audit entries it wrote (`actor_id = app_user_id()`), so
on PostgreSQL a project's activity page showed its owner their own changes and none of their
editors'. Now an audit entry whose target is a project, or a prompt of a project, is readable
by anyone with a role in that project (`app_project_role`, migration 0018); every other entry
(an account's sign-ins, keys, billing) stays its actor's own.

`app_audit_project(target_type, target_id)` finds the project an entry is about, and is NULL
for any other entry (including a target id that is not a uuid), so the policy never fails
on a row it does not concern.

Revision ID: 0021
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op
from promptrepo.db_policies import APP_ROLE

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "actor_id = app_user_id()"
NEW = (
    "actor_id = app_user_id() "
    "OR app_project_role(app_audit_project(target_type, target_id)) IS NOT NULL"
)

FUNCTION = """CREATE OR REPLACE FUNCTION app_audit_project(kind text, target text) RETURNS uuid
   LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS
   $$
   BEGIN
     IF kind = 'project' THEN
       RETURN target::uuid;
     ELSIF kind = 'prompt' THEN
       RETURN app_prompt_project(target::uuid);
     END IF;
     RETURN NULL;
   EXCEPTION WHEN invalid_text_representation THEN
     RETURN NULL;
   END
   $$"""


def _select_policy(condition: str) -> None:
    op.execute("DROP POLICY IF EXISTS audit_log_user_select ON audit_log")
    op.execute(
        f"CREATE POLICY audit_log_user_select ON audit_log FOR SELECT TO {APP_ROLE} "
        f"USING ({condition})"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    _select_policy(NEW)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _select_policy(OLD)
    op.execute("DROP FUNCTION IF EXISTS app_audit_project(text, text)")
