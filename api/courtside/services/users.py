"""Accounts: create, authenticate, list/search, change role/active flag, revoke sessions.

Every change that affects what a token may do (role, active flag, forced reset, "log out
everywhere", a new password) bumps `token_version`, which revokes every token issued
before, and registers the user's cache namespace with the unit of work
(`invalidate_on_commit`), so cached state is dropped on every instance. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import get_cache
from courtside.domain_errors import Conflict, DomainError, Invalid, NotFound
from courtside.models import Role, User, utcnow
from courtside.schemas.common import PageParams
from courtside.services import audit, passwords
from courtside.services.page_reads import read_columns
from courtside.services.pagination import PageOf, paginate
from courtside.unit_of_work import invalidate_on_commit

if TYPE_CHECKING:
    from courtside.schemas.auth import SignupCreate

DEMO_ACCOUNTS: tuple[tuple[str, str, str, Role], ...] = (
    ("demo-admin", "demo-admin@courtside.local", "courtside-admin", Role.ADMIN),
    ("demo-user", "demo-user@courtside.local", "courtside-user", Role.CONSUMER),
)
"""Local demo accounts (username, e-mail, password, role); created only when ENVIRONMENT=local."""


def user_state_namespace(user_id: int) -> str:
    """The cache namespace of a user's auth state (`auth.principal` caches it there)."""
    return f"auth-user:{user_id}"


async def invalidate_user(user_id: int) -> None:
    """Drop the cached auth state of a user on every instance (after a commit)."""
    await get_cache().invalidate(user_state_namespace(user_id))


def _invalidate_after_commit(session: AsyncSession, user_id: int) -> None:
    invalidate_on_commit(session, user_state_namespace(user_id))


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    """The user with this (case-insensitive) username. Strings no username can match (too
    long, NUL bytes, which PostgreSQL refuses in text) are answered without a query."""
    name = username.strip().lower()
    if not name or len(name) > 32 or "\x00" in name:
        return None
    return (await session.execute(select(User).where(User.username == name))).scalar_one_or_none()


class WeakPassword(Invalid):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "weak_password",
            "The password " + "; ".join(problems) + ".",
            details={"problems": problems},
        )


def parse_role(value: Role | str) -> str:
    """The role's stored value, or 422 for anything but Admin/Consumer."""
    try:
        return Role(value).value
    except ValueError:
        raise Invalid(
            "invalid_role", f"Unknown role {str(value)[:32]!r}; use Admin or Consumer."
        ) from None


def check_password(password: str, *, username: str, email: str) -> None:
    problems = passwords.password_problems(password, username=username, email=email)
    if problems:
        raise WeakPassword(problems)


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    role: Role | str = Role.CONSUMER,
    actor: audit.Actor | None = None,
    action: str = "user.create",
    refuse_shared_email: bool = True,
) -> User:
    """Create an account (409 if the username is taken, 422 for a weak password).

    An address another account has is refused (409) only with `refuse_shared_email`, for
    Admins and the CLI, who may know; a sign-up never tells (see `sign_up`).
    """
    username, email = username.strip().lower(), email.strip().lower()
    role_value = parse_role(role)
    check_password(password, username=username, email=email)
    same = User.username == username
    if refuse_shared_email:
        same = or_(same, User.email == email)
    taken = (await session.execute(select(User.username).where(same).limit(1))).first()
    if taken is not None:
        raise _conflict(username_taken=taken.username == username)
    user = User(
        username=username,
        email=email,
        password_hash=await passwords.hash_password(password),
        role=role_value,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise _conflict(username_taken=True) from None
    actor = actor or audit.Actor("user", str(user.id), user.username)
    await audit.record(
        session,
        actor=actor,
        action=action,
        target=f"user:{user.id}",
        details={"username": username, "role": role_value},
    )
    return user


async def sign_up(session: AsyncSession, body: SignupCreate) -> User:
    """Self-service registration (JSON and web form alike): always a Consumer.

    Whether the e-mail address is registered is never said: it may be shared by accounts
    (a contact address, not an identity), so the answer is the same either way. A taken
    username is said: usernames are public (the leaderboard, the audit log).
    """
    return await create_user(
        session,
        username=body.username,
        email=body.email,
        password=body.password,
        role=Role.CONSUMER,
        action="user.signup",
        refuse_shared_email=False,
    )


def _conflict(*, username_taken: bool) -> DomainError:
    what = "username" if username_taken else "e-mail address"
    return Conflict("account_exists", f"That {what} is already registered.")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reset_required: bool = False
    disabled: bool = False
    """The password was right but the account is deactivated."""


async def authenticate(session: AsyncSession, *, username: str, password: str) -> LoginResult:
    """Check a password. Unknown users spend a dummy verification (no timing oracle). A
    deactivated account is reported as such only to someone who knows its password; with a
    wrong one it fails like any other. Rehashes on outdated parameters."""
    user = await user_by_username(session, username)
    if user is None:
        await passwords.dummy_verify()
        return LoginResult(None)
    ok, new_hash = await passwords.verify_password(password, user.password_hash)
    if not ok:
        return LoginResult(None)
    if not user.is_active:
        return LoginResult(None, disabled=True)
    if new_hash is not None:
        user.password_hash = new_hash
    if user.password_reset_required:
        await session.flush()
        return LoginResult(user, reset_required=True)
    user.last_login_at = utcnow()
    await session.flush()
    return LoginResult(user)


async def change_password(
    session: AsyncSession, *, user: User, new_password: str, actor: audit.Actor
) -> User:
    """Set a new password, clear a forced reset, and sign out every other session."""
    check_password(new_password, username=user.username, email=user.email)
    if (await passwords.verify_password(new_password, user.password_hash))[0]:
        raise Invalid("password_reused", "Choose a password different from the current one.")
    user.password_hash = await passwords.hash_password(new_password)
    user.password_reset_required = False
    user.token_version += 1
    await session.flush()
    _invalidate_after_commit(session, user.id)
    await audit.record(
        session, actor=actor, action="user.password_change", target=f"user:{user.id}"
    )
    return user


async def list_users(
    session: AsyncSession,
    *,
    search: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
    page: PageParams,
) -> PageOf[User]:
    """Users ordered by username, filtered by a substring of username/e-mail, role, status."""
    query = _filtered(select(User), search, role, is_active)
    return await paginate(session, query.order_by(User.username), page)


AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


class UserLine(NamedTuple):
    """A user as the admin's list of users shows them: columns, no ORM object."""

    id: int
    username: str
    email: str
    role: str
    is_active: bool
    last_login_at: datetime | None
    password_reset_required: bool


async def user_lines(
    session: AsyncSession,
    *,
    search: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
    page: PageParams,
) -> PageOf[UserLine]:
    """`list_users` as columns, for the admin's page (issue 23): sent as a plain column read
    (`page_reads.read_columns`: no ORM loading, and on a GET no BEGIN / ROLLBACK, as the
    other signed-in pages), the total counted the same way (`pagination.paginate`: only
    when the page is full or past the first)."""
    columns = (
        User.id,
        User.username,
        User.email,
        User.role,
        User.is_active,
        User.last_login_at,
        User.password_reset_required,
    )
    query = _filtered(select(*columns), search, role, is_active).order_by(User.username)
    read = await read_columns(session, query.limit(page.limit).offset(page.offset), {})
    rows = [UserLine(*row) for row in read]
    if page.offset == 0 and len(rows) < page.limit:
        return PageOf(items=rows, total=len(rows))  # the whole result fits this page
    count = select(func.count()).select_from(query.order_by(None).subquery())
    total = (await read_columns(session, count, {})).scalar()
    return PageOf(items=rows, total=int(total or 0))


def _filtered(
    query: AnySelect, search: str | None, role: str | None, is_active: bool | None
) -> AnySelect:
    """`query` where a substring of the username or e-mail, the role and the status match."""
    search = (search or "").replace("\x00", "")
    if search:
        pattern = (
            "%"
            + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        query = query.where(
            or_(User.username.like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
        )
    if role is not None:
        query = query.where(User.role == parse_role(role))
    if is_active is not None:
        query = query.where(User.is_active.is_(is_active))
    return query


def _not_yourself(user: User, actor: audit.Actor, what: str) -> None:
    if actor.type == "user" and actor.id == str(user.id):
        raise Conflict("cannot_change_self", f"You cannot {what} your own account.")


async def set_role(session: AsyncSession, *, user_id: int, role: str, actor: audit.Actor) -> User:
    user = await get_user(session, user_id)
    new_role = parse_role(role)
    if user.role == new_role:
        return user
    _not_yourself(user, actor, "change the role of")
    old_role = user.role
    user.role = new_role
    user.token_version += 1
    await session.flush()
    _invalidate_after_commit(session, user.id)
    await audit.record(
        session,
        actor=actor,
        action="user.set_role",
        target=f"user:{user.id}",
        details={"username": user.username, "from": old_role, "to": new_role},
    )
    return user


async def set_active(
    session: AsyncSession, *, user_id: int, active: bool, actor: audit.Actor
) -> User:
    user = await get_user(session, user_id)
    if user.is_active == active:
        return user
    _not_yourself(user, actor, "deactivate" if not active else "reactivate")
    user.is_active = active
    user.token_version += 1
    await session.flush()
    _invalidate_after_commit(session, user.id)
    await audit.record(
        session,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        target=f"user:{user.id}",
        details={"username": user.username},
    )
    return user


async def force_password_reset(session: AsyncSession, *, user_id: int, actor: audit.Actor) -> User:
    """Sign the user out everywhere; they must choose a new password at next sign-in.

    Not on one's own account (409, like a demotion or deactivation): it would sign the Admin
    out mid-action; an Admin changes their own password with the current one instead."""
    user = await get_user(session, user_id)
    _not_yourself(user, actor, "force a password reset on")
    user.password_reset_required = True
    user.token_version += 1
    await session.flush()
    _invalidate_after_commit(session, user.id)
    await audit.record(
        session,
        actor=actor,
        action="user.force_password_reset",
        target=f"user:{user.id}",
        details={"username": user.username},
    )
    return user


async def logout_everywhere(session: AsyncSession, *, user_id: int, actor: audit.Actor) -> User:
    """Revoke every token the user holds (bump the token version)."""
    user = await get_user(session, user_id)
    user.token_version += 1
    await session.flush()
    _invalidate_after_commit(session, user.id)
    await audit.record(
        session, actor=actor, action="user.logout_everywhere", target=f"user:{user.id}"
    )
    return user


async def update_user(
    session: AsyncSession, *, user_id: int, changes: dict[str, Any], actor: audit.Actor
) -> User:
    """Apply an Admin's `UserUpdate` (role, is_active, password_reset_required)."""
    user = await get_user(session, user_id)
    if changes.get("role") is not None:
        user = await set_role(session, user_id=user_id, role=changes["role"], actor=actor)
    if changes.get("is_active") is not None:
        user = await set_active(session, user_id=user_id, active=changes["is_active"], actor=actor)
    if changes.get("password_reset_required"):
        user = await force_password_reset(session, user_id=user_id, actor=actor)
    return user


async def ensure_demo_accounts(session: AsyncSession) -> list[User]:
    """Create the local demo accounts if missing (idempotent; no commit inside).

    Refuses outside ENVIRONMENT=local: published passwords must never exist anywhere else.
    """
    # lazy: the local demo's path only
    from courtside.settings import get_app_settings

    if not get_app_settings().is_local:
        raise RuntimeError("demo accounts are only created when ENVIRONMENT=local")
    created: list[User] = []
    for username, email, password, role in DEMO_ACCOUNTS:
        existing = await user_by_username(session, username)
        if existing is not None:
            created.append(existing)
            continue
        created.append(
            await create_user(
                session,
                username=username,
                email=email,
                password=password,
                role=role,
                actor=audit.SYSTEM,
                action="user.demo_create",
            )
        )
    return created
