"""Operator commands: `python -m courtside migrate|create-admin ...`.

A command is a function decorated with `@command`; add new ones in this module."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Sequence
from typing import Any

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Command]] = {}


def command(
    name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None] | None = None
) -> Callable[[Command], Command]:
    def register(func: Command) -> Command:
        COMMANDS[name] = (help_text, configure or (lambda _parser: None), func)
        return func

    return register


@command("migrate", "Apply every migration to DATABASE_URL (default: the embedded SQLite file).")
def _migrate(_args: argparse.Namespace) -> int:
    # lazy: each command imports what it runs (the CLI starts in Lambda's migrator too)
    from courtside.db import database_url
    from courtside.migrate import upgrade
    from courtside.settings import get_database_settings

    upgrade(database_url(get_database_settings()))
    print("database is at the latest migration")
    return 0


def _create_admin_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", required=True)
    parser.add_argument("--email", required=True)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--password-env",
        metavar="VAR",
        help="Read the password from this environment variable (e.g. in CI or a container).",
    )
    source.add_argument(
        "--password-stdin", action="store_true", help="Read the password from standard input."
    )
    source.add_argument(
        "--generate-password",
        action="store_true",
        help="Generate a password, print it once, and require a new one at the first sign-in.",
    )


@command(
    "create-admin",
    "Create an Admin account (prompts for the password unless --password-env/--password-stdin).",
    _create_admin_args,
)
def _create_admin(args: argparse.Namespace) -> int:
    # lazy: each command imports what it runs
    from courtside.auth.admin_bootstrap import create_admin_from_cli

    return create_admin_from_cli(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m courtside")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, configure, _func) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][2](args)


LAMBDA_FORBIDDEN_ARGS = frozenset({"--password-stdin"})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point for one-off operator commands, e.g.
    `{"argv": ["create-admin", "--username", "ada", "--email", "a@x.io", "--generate-password"]}`.

    Returns the exit code and what the command printed. Nothing can be typed in on Lambda, so
    interactive input is refused up front instead of hanging until the timeout.
    """
    argv = event.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return {"exit_code": 2, "stdout": "", "stderr": 'event must be {"argv": ["command", ...]}'}
    if argv[0] == "create-admin" and not ({"--generate-password", "--password-env"} & set(argv)):
        argv = [*argv, "--generate-password"]
    if LAMBDA_FORBIDDEN_ARGS & set(argv):
        return {"exit_code": 2, "stdout": "", "stderr": "standard input is not available on Lambda"}
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
    return {"exit_code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
