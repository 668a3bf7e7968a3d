"""Shell commands: `uv run python -m promptrepo.cli <command>`."""

from __future__ import annotations

import argparse
import sys

from promptrepo.db import migrate


def cmd_migrate(_args: argparse.Namespace) -> int:
    migrate()
    print("Database is at the newest migration.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="promptrepo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply every migration").set_defaults(func=cmd_migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
