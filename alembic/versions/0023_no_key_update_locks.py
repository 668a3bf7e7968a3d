"""The owner's plan-limit lock taken `FOR NO KEY UPDATE`, as every other lock now is.

`FOR UPDATE` also blocks the key-share lock that inserting a row referring to the locked one
takes for its foreign key: an editor adding a prompt held the owner's profile and waited for
the project, while a publish holding that project inserted an audit entry naming the owner
and waited for the profile, a deadlock (services/locks.py). PostgreSQL only; the function
keeps its grants (CREATE OR REPLACE).

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

from alembic import op
from promptrepo.db_policies import APP_ROLE

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_APP = f"NOT (session_user = '{APP_ROLE}' OR current_setting('role') = '{APP_ROLE}')"


def _lock_owner(mode: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION app_lock_owner(uid uuid) RETURNS boolean
       LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
       $$ SELECT true FROM profiles
          WHERE id = uid AND (uid = app_user_id() OR app_shares_project(uid) OR {NOT_APP})
          {mode} $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_lock_owner("FOR NO KEY UPDATE"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_lock_owner("FOR UPDATE"))
