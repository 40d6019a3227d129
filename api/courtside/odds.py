"""Moneyline arithmetic on American odds (pure functions, no I/O)."""

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
