"""Row-level security for a new table, the way migration 0005 set it up for the first ones.

Every table holding user data is `FORCE ROW LEVEL SECURITY`; the migration owner and the system
role (`promptrepo_system`, the named system paths of db.SYSTEM_PATHS) see every row; the app
role (`promptrepo_user`) gets only the privileges listed, each behind its condition. A table
not secured this way is unreachable to the app (no default privileges), and
tests/unit/test_database_roles.py fails until it is. Used by migrations 0006 onward.
"""

from __future__ import annotations

APP_ROLE = "promptrepo_user"
SYSTEM_ROLE = "promptrepo_system"


def secure_table(op, table: str, rights: dict[str, str]) -> None:
    """On PostgreSQL: FORCE RLS on `table`, owner and system policies, and for the app role
    each `{privilege: condition}` (e.g. {"SELECT": "user_id = app_user_id()"}; UPDATE may name
    columns). Does nothing on SQLite."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {table}_owner ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
    )
    op.execute(
        f"CREATE POLICY {table}_system ON {table} TO {SYSTEM_ROLE} USING (true) WITH CHECK (true)"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {SYSTEM_ROLE}")
    for privilege, condition in rights.items():
        command = privilege.split(" ", 1)[0]
        op.execute(f"GRANT {privilege} ON {table} TO {APP_ROLE}")
        clauses = {
            "SELECT": f"USING ({condition})",
            "INSERT": f"WITH CHECK ({condition})",
            "UPDATE": f"USING ({condition}) WITH CHECK ({condition})",
            "DELETE": f"USING ({condition})",
        }[command]
        op.execute(
            f"CREATE POLICY {table}_user_{command.lower()} ON {table} "
            f"FOR {command} TO {APP_ROLE} {clauses}"
        )


def unsecure_table(op, table: str, rights: dict[str, str]) -> None:
    """Undo `secure_table` (for a downgrade that keeps the table)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for privilege in rights:
        op.execute(
            f"DROP POLICY IF EXISTS {table}_user_{privilege.split(' ', 1)[0].lower()} ON {table}"
        )
    for name in ("owner", "system"):
        op.execute(f"DROP POLICY IF EXISTS {table}_{name} ON {table}")
    op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}, {SYSTEM_ROLE}")
