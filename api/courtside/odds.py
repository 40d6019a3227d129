"""Moneyline arithmetic on American odds, and money in cents as people read it (pure
functions, no I/O)."""

from __future__ import annotations


def is_valid_american(odds: int) -> bool:
    """American odds are never in (-100, 100): -100 and +100 are even money."""
    return odds <= -100 or odds >= 100


def implied_probability(odds: int) -> float:
    """The break-even win probability the line implies (vig included)."""
    if not is_valid_american(odds):
        raise ValueError(f"{odds} is not a valid American moneyline")
    if odds < 0:
        return -odds / (-odds + 100)
    return 100 / (odds + 100)


def win_profit_cents(stake_cents: int, odds: int) -> int:
    """Net profit of a winning bet of `stake_cents` at American `odds`, in whole cents.

    `s * o / 100` for `o > 0` and `s * 100 / |o|` for `o < 0`, in exact integer arithmetic,
    rounded down to the cent: the simulated book never pays a fraction of a cent, and
    the result never depends on float rounding.
    """
    if stake_cents <= 0:
        raise ValueError("the stake must be positive")
    if not is_valid_american(odds):
        raise ValueError(f"{odds} is not a valid American moneyline")
    if odds > 0:
        return stake_cents * odds // 100
    return stake_cents * 100 // -odds


def settled_profit_cents(stake_cents: int, odds: int, outcome: str) -> int:
    """The net result of a settled bet: `won` pays the win profit, `lost` costs the stake,
    `refunded` (postponed game) returns the stake, i.e. zero profit."""
    if outcome == "won":
        return win_profit_cents(stake_cents, odds)
    if outcome == "lost":
        return -stake_cents
    if outcome == "refunded":
        return 0
    raise ValueError(f"unknown outcome {outcome!r}")


def format_american(odds: int) -> str:
    """`+150`, `-110`: the sign is always shown."""
    return f"+{odds}" if odds > 0 else str(odds)


def format_units(cents: int) -> str:
    """`123456` → `1,234.56` (cents are shown as units with two decimals)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units:,}.{rest:02d}"
