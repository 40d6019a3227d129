"""Managing feature flags (admin): create, change, delete, each with an audit event.

Reading flags stays in `services.flags` (cached) and, where a decision moves money,
`services.kill_switch` (the database, locked against these changes). These functions do
not commit; each change registers the flags namespace's invalidation with the unit of work
(`invalidate_on_commit`), so every instance sees the change once it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Conflict, DomainError, NotFound
from courtside.models import FeatureFlag
from courtside.services import audit
from courtside.services.flags import DEFAULTS, FLAGS_NAMESPACE
from courtside.services.kill_switch import lock_for_change
from courtside.unit_of_work import invalidate_on_commit

DESCRIPTIONS = {
    "betting_open": "Accept new simulated bets.",
    "signup_open": "Let visitors create Consumer accounts.",
}


@dataclass(frozen=True)
class FlagView:
    name: str
    enabled: bool
    description: str
    is_default: bool
    updated_at: datetime | None


def _view(row: FeatureFlag) -> FlagView:
    return FlagView(row.name, row.enabled, row.description, False, row.updated_at)


async def list_flags(session: AsyncSession) -> list[FlagView]:
    """Every stored flag, plus the built-in ones that have no row (at their default)."""
    rows = {row.name: row for row in await session.scalars(select(FeatureFlag))}
    views = [_view(row) for row in rows.values()]
    views += [
        FlagView(name, enabled, DESCRIPTIONS.get(name, ""), True, None)
        for name, enabled in DEFAULTS.items()
        if name not in rows
    ]
    return sorted(views, key=lambda view: view.name)


async def get_flag(session: AsyncSession, name: str) -> FlagView:
    row = await session.get(FeatureFlag, name, populate_existing=True)
    if row is not None:
        return _view(row)
    if name in DEFAULTS:
        return FlagView(name, DEFAULTS[name], DESCRIPTIONS.get(name, ""), True, None)
    raise NotFound("flag", name)


async def create_flag(
    session: AsyncSession,
    *,
    actor: audit.Actor,
    name: str,
    enabled: bool,
    description: str = "",
) -> FlagView:
    """A new flag; 409 if one of that name is stored already."""
    await lock_for_change(session, name)
    if await session.get(FeatureFlag, name) is not None:
        raise Conflict("flag_exists", f"A flag named {name!r} exists already.")
    row = FeatureFlag(
        name=name, enabled=enabled, description=description or DESCRIPTIONS.get(name, "")
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise Conflict("flag_exists", f"A flag named {name!r} exists already.") from None
    invalidate_on_commit(session, FLAGS_NAMESPACE)
    await audit.record(
        session,
        actor=actor,
        action="flag.create",
        target=f"flag:{name}",
        details={"enabled": enabled},
    )
    return _view(row)


async def update_flag(
    session: AsyncSession,
    *,
    actor: audit.Actor,
    name: str,
    enabled: bool | None = None,
    description: str | None = None,
) -> FlagView:
    """Switch a flag on or off (or re-describe it). A built-in flag without a row gets one."""
    row = await _locked_row(session, name)
    before = row.enabled
    if enabled is not None:
        row.enabled = enabled
    if description is not None:
        row.description = description
    await session.flush()
    invalidate_on_commit(session, FLAGS_NAMESPACE)
    await audit.record(
        session,
        actor=actor,
        action="flag.update",
        target=f"flag:{name}",
        details={"enabled": row.enabled, "was_enabled": before},
    )
    return _view(row)


async def _locked_row(session: AsyncSession, name: str) -> FeatureFlag:
    """The flag's row, locked; a built-in flag without one gets it (at its default)."""
    await lock_for_change(session, name)
    row = await session.get(FeatureFlag, name, with_for_update=True, populate_existing=True)
    if row is not None:
        return row
    if name not in DEFAULTS:
        raise NotFound("flag", name)
    row = FeatureFlag(name=name, enabled=DEFAULTS[name], description=DESCRIPTIONS.get(name, ""))
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # another admin created it a moment ago
        row = await session.get(FeatureFlag, name, with_for_update=True, populate_existing=True)
        if row is None:
            raise NotFound("flag", name) from None
    return row


def builtin_not_deletable(name: str) -> DomainError:
    return Conflict(
        "builtin_flag",
        f"{name!r} is built in: it can be switched (or reset to its default), not deleted.",
    )


async def delete_flag(session: AsyncSession, *, actor: audit.Actor, name: str) -> None:
    """Remove a flag an admin created. A built-in flag is refused (409): deleting it would
    silently bring back its default (turning betting back on, say)."""
    if name in DEFAULTS:
        raise builtin_not_deletable(name)
    await lock_for_change(session, name)
    row = await session.get(FeatureFlag, name, with_for_update=True, populate_existing=True)
    if row is None:  # also when another admin deleted it a moment ago
        raise NotFound("flag", name)
    await session.delete(row)
    await session.flush()
    invalidate_on_commit(session, FLAGS_NAMESPACE)
    await audit.record(
        session,
        actor=actor,
        action="flag.delete",
        target=f"flag:{name}",
        details={"was_enabled": row.enabled},
    )


async def reset_flag(session: AsyncSession, *, actor: audit.Actor, name: str) -> FlagView:
    """Put a built-in flag back to its default state (404 for any other flag)."""
    if name not in DEFAULTS:
        raise NotFound("flag", name)
    return await update_flag(session, actor=actor, name=name, enabled=DEFAULTS[name])
