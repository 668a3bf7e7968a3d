"""Shell commands: `uv run python -m promptrepo.cli <command>`.

migrate                 apply every migration
make-admin EMAIL        create an admin (asks for a password) or promote an existing user
suspend EMAIL           stop a user: no login, sessions and API keys refused at once
unsuspend EMAIL         lift a suspension
backup [--output DIR]   write a backup of the database (pg_dump, or a SQLite copy) into DIR
restore FILE --database-url URL
                        restore a backup into an empty database, then migrate it
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from promptrepo.backup import BackupError
from promptrepo.db import migrate, system_scope
from promptrepo.services import accounts
from promptrepo.services.errors import ServiceError
from promptrepo.services.passwords import password_problem
from promptrepo.settings import settings


def cmd_migrate(_args: argparse.Namespace) -> int:
    migrate()
    print("Database is at the newest migration.")
    return 0


def _ask_password() -> str:
    while True:
        password = getpass.getpass("Password for the new admin: ")
        problem = password_problem(password)
        if problem:
            print(problem, file=sys.stderr)
            continue
        if getpass.getpass("Same password again: ") != password:
            print("The two passwords differ. Try again.", file=sys.stderr)
            continue
        return password


def cmd_make_admin(args: argparse.Namespace) -> int:
    with system_scope("cli") as session:
        email = accounts.normalise_email(args.email)
        if accounts.find_profile_by_email(session, email) is not None:
            accounts.set_role(session, None, email, "admin")
            print(f"{email} is now an admin.")
            return 0
        # With Supabase, the password lives there: the profile is linked at first login.
        password = None
        if settings.auth_provider == "local":
            password = args.password if args.password is not None else _ask_password()
        name = args.name or email.split("@")[0]
        accounts.create_profile_with_billing(
            session, email=email, name=name, password=password, role="admin"
        )
    print(f"Created the admin account {email}.")
    return 0


def _cmd_suspension(suspended: bool):
    def run(args: argparse.Namespace) -> int:
        with system_scope("cli") as session:
            profile = accounts.set_suspended_by_email(session, args.email, suspended=suspended)
        state = "suspended: their sessions and API keys stopped" if suspended else "active again"
        print(f"{profile.email} is {state}.")
        return 0

    return run


def cmd_backup(args: argparse.Namespace) -> int:
    from promptrepo.backup import backup

    path = backup(settings.database_url, Path(args.output))
    print(f"Backup written to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from promptrepo.backup import restore

    restore(Path(args.file), args.database_url)
    print(f"Restored {args.file} into the database; it is at the newest migration.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptrepo", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply every migration").set_defaults(func=cmd_migrate)

    make_admin = commands.add_parser(
        "make-admin", help="create an admin account, or promote an existing user"
    )
    make_admin.add_argument("email")
    make_admin.add_argument(
        "--password", help="password for a new account (asked for when omitted)"
    )
    make_admin.add_argument("--name", help="display name for a new account")
    make_admin.set_defaults(func=cmd_make_admin)

    for name, suspended, help_text in (
        ("suspend", True, "suspend a user: no login; sessions and API keys stop at once"),
        ("unsuspend", False, "lift a user's suspension"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("email")
        command.set_defaults(func=_cmd_suspension(suspended))

    backup = commands.add_parser("backup", help="write a backup of the database")
    backup.add_argument("--output", default="data/backups", help="folder (default data/backups)")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("file")
    restore.add_argument(
        "--database-url", required=True, help="the new, empty database (never the live one)"
    )
    restore.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
