"""`python -m courtside create-admin`: bootstrap the first Admin (or add another).

The password never appears on the command line (it would land in shell history and the
process list): it is prompted for twice, read from an environment variable or stdin, or
generated (`--generate-password`: printed once, and the Admin must choose a new one at the
first sign-in — the way to bootstrap on Lambda, where nothing can be typed in).
Weak passwords are refused with the same policy as sign-up.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from courtside.errors import REFUSALS, status_of

GENERATED_PASSWORD_BYTES = 24


def read_password(args: argparse.Namespace) -> str:
    if args.generate_password:
        # lazy: the CLI's prompt path only
        import secrets

        return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise SystemExit(f"error: environment variable {args.password_env} is not set")
        return value
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise SystemExit("error: the passwords do not match")
    return first


async def create_admin(
    username: str, email: str, password: str, *, reset_required: bool = False
) -> int:
    """Create the Admin in its own unit of work; returns the new user's id."""
    # lazy: the CLI and the first deploy run this; the app never does
    from courtside.db import dispose_engine
    from courtside.schemas.auth import UserCreate
    from courtside.services import audit, users
    from courtside.unit_of_work import unit_of_work

    body = UserCreate(username=username, email=email, password=password, role="Admin")
    try:
        async with unit_of_work() as work:
            user = await users.create_user(
                work.session,
                username=body.username,
                email=body.email,
                password=body.password,
                role="Admin",
                actor=audit.Actor("system", None, "create-admin"),
                action="user.create_admin",
            )
            user.password_reset_required = reset_required
        return user.id
    finally:
        await dispose_engine()


def create_admin_from_cli(args: argparse.Namespace) -> int:
    # lazy: the CLI's path only
    from pydantic import ValidationError

    password = read_password(args)
    try:
        user_id = asyncio.run(
            create_admin(args.username, args.email, password, reset_required=args.generate_password)
        )
    except ValidationError as exc:
        for error in exc.errors():
            print(f"error: {'.'.join(map(str, error['loc']))}: {error['msg']}", file=sys.stderr)
        return 2
    except REFUSALS as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2 if status_of(exc) == 422 else 1
    print(f"created Admin {args.username.strip().lower()} (id {user_id})")
    if args.generate_password:
        print(f"one-time password: {password}")
        print("it is shown only now; a new password must be chosen at the first sign-in")
    return 0
