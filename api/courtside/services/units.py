"""A bettor's unit: the stake size they count their results in ("+3.2 units").

Stored on the wallet (`wallets.unit_cents`, migration 0015); unset, it is 1 % of the
wallet's starting bankroll (of the configured starting bankroll before the first bet).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Invalid
from courtside.models import Wallet
from courtside.odds import format_units
from courtside.services.wallets import wallet_for
from courtside.settings import get_betting_settings

DEFAULT_SHARE = 100
"""The default unit is the starting bankroll divided by this (1 %)."""


@dataclass(frozen=True)
class Unit:
    cents: int
    is_default: bool


def default_unit_cents(starting_cents: int) -> int:
    """1 % of the starting bankroll, at least one cent (a bankroll of 0 still has a unit)."""
    return max(1, starting_cents // DEFAULT_SHARE)


def unit_from(unit_cents: int | None, starting_cents: int | None) -> Unit:
    """The unit of a wallet's two columns (both None: no wallet yet). The record page has
    them from its viewer read (`auth.principal.load_token_state_and_viewer`), so it needs
    no statement for them."""
    if unit_cents is not None:
        return Unit(int(unit_cents), False)
    if starting_cents is None:
        return Unit(default_unit_cents(get_betting_settings().starting_bankroll_cents), True)
    return Unit(default_unit_cents(int(starting_cents)), True)


async def unit_of(session: AsyncSession, user_id: int) -> Unit:
    row = (
        await session.execute(
            select(Wallet.unit_cents, Wallet.starting_cents).where(Wallet.user_id == user_id)
        )
    ).one_or_none()
    return unit_from(None, None) if row is None else unit_from(row[0], row[1])


async def set_unit(session: AsyncSession, user_id: int, unit_cents: int | None) -> Unit:
    """Set the user's unit (None: back to the default). Refuses (422) a unit that is not
    positive or is more than the largest stake allowed."""
    maximum = get_betting_settings().max_stake_cents
    if unit_cents is not None and not 0 < unit_cents <= maximum:
        raise Invalid(
            "invalid_unit",
            f"A unit must be more than 0 and at most {format_units(maximum)}.",
            details={"max_unit": format_units(maximum)},
        )
    wallet = await wallet_for(session, user_id)
    wallet.unit_cents = unit_cents
    await session.flush()
    return await unit_of(session, user_id)
