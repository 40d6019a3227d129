"""The payout arithmetic: examples a person can check by hand, then properties."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courtside.odds import (
    format_american,
    implied_probability,
    settled_profit_cents,
    win_profit_cents,
)

STAKES = st.integers(min_value=1, max_value=10**10)
FAVOURITES = st.integers(min_value=-100_000, max_value=-100)
UNDERDOGS = st.integers(min_value=100, max_value=100_000)
ODDS = st.one_of(FAVOURITES, UNDERDOGS)


@pytest.mark.parametrize(
    ("stake", "odds", "profit"),
    [
        (11_000, -110, 10_000),  # bet 110 on a -110 favourite to win 100
        (10_000, -110, 9_090),  # 90.909... rounds down to 90.90
        (20_000, -200, 10_000),
        (10_000, -250, 4_000),
        (10_000, 150, 15_000),  # an underdog at +150 pays 1.5x
        (2_500, 320, 8_000),
        (1, 150, 1),  # 1.5 cents rounds down to 1
        (10_000, 100, 10_000),  # even money either way
        (10_000, -100, 10_000),
        (1, -10_000, 0),  # a cent on a huge favourite wins nothing whole
    ],
)
def test_win_profit_examples(stake: int, odds: int, profit: int) -> None:
    assert win_profit_cents(stake, odds) == profit


def test_loss_costs_the_stake_and_a_refund_costs_nothing() -> None:
    assert settled_profit_cents(5_000, -110, "lost") == -5_000
    assert settled_profit_cents(5_000, 240, "lost") == -5_000
    assert settled_profit_cents(5_000, -110, "refunded") == 0
    assert settled_profit_cents(5_000, 240, "won") == 12_000


@pytest.mark.parametrize("odds", [-99, 0, 50, 99, -1])
def test_invalid_odds_are_refused(odds: int) -> None:
    with pytest.raises(ValueError, match="American"):
        win_profit_cents(100, odds)


@pytest.mark.parametrize("stake", [0, -1])
def test_non_positive_stake_is_refused(stake: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        win_profit_cents(stake, 110)


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        settled_profit_cents(100, 110, "push")


def test_format_american_shows_the_sign() -> None:
    assert format_american(150) == "+150"
    assert format_american(-110) == "-110"


@given(stake=STAKES, odds=ODDS)
def test_profit_is_the_exact_formula_rounded_down_to_a_cent(stake: int, odds: int) -> None:
    exact = Fraction(stake * odds, 100) if odds > 0 else Fraction(stake * 100, -odds)
    profit = win_profit_cents(stake, odds)
    assert profit <= exact < profit + 1


@given(stake=STAKES, odds=FAVOURITES)
def test_a_favourite_never_pays_more_than_the_stake(stake: int, odds: int) -> None:
    assert 0 <= win_profit_cents(stake, odds) <= stake


@given(stake=STAKES, odds=UNDERDOGS)
def test_an_underdog_pays_at_least_the_stake(stake: int, odds: int) -> None:
    assert win_profit_cents(stake, odds) >= stake


@given(stake=STAKES, odds=ODDS, extra=st.integers(min_value=1, max_value=10**6))
def test_profit_grows_with_the_stake(stake: int, odds: int, extra: int) -> None:
    assert win_profit_cents(stake + extra, odds) >= win_profit_cents(stake, odds)


@given(stake=STAKES, a=ODDS, b=ODDS)
def test_longer_odds_pay_at_least_as_much(stake: int, a: int, b: int) -> None:
    def length(odds: int) -> Fraction:
        return Fraction(odds, 100) if odds > 0 else Fraction(100, -odds)

    low, high = sorted((a, b), key=length)
    assert win_profit_cents(stake, low) <= win_profit_cents(stake, high)


@given(stake=st.integers(min_value=100, max_value=10**10), odds=ODDS)
def test_the_implied_probability_is_the_break_even_point(stake: int, odds: int) -> None:
    """At the implied probability p, p * profit - (1 - p) * stake is zero (before rounding)."""
    p = Fraction(implied_probability(odds)).limit_denominator(10**9)
    profit = win_profit_cents(stake, odds)
    expected = p * profit - (1 - p) * stake
    assert abs(expected) <= 1 + stake * Fraction(1, 10**6)


@given(stake=STAKES, odds=ODDS)
def test_outcomes_are_consistent(stake: int, odds: int) -> None:
    won = settled_profit_cents(stake, odds, "won")
    assert won >= 0
    assert settled_profit_cents(stake, odds, "lost") == -stake
    assert settled_profit_cents(stake, odds, "refunded") == 0
