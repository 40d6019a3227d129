"""What a typed stake means (web/stakes.py): what a person obviously means is accepted, the
rest refused with a message that says what is wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courtside.errors import status_for
from courtside.odds import win_profit_cents
from courtside.web.stakes import StakeRefused, parse_stake, payout, typed_stake_cents


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("25", 2_500),
        (" 25 ", 2_500),
        ("12.5", 1_250),
        ("12.50", 1_250),
        ("0.01", 1),
        (".5", 50),
        ("7.", 700),
        ("+25", 2_500),
        ("1,000", 100_000),
        ("1,000.50", 100_050),
        ("1 000", 100_000),
        ("12,50", 1_250),  # a decimal comma, never 1,250
        ("12,5", 1_250),
        ("1,00", 100),
        ("0", 0),  # the service says "more than zero"
    ],
)
def test_what_a_person_means_is_accepted(typed: str, cents: int) -> None:
    assert parse_stake(typed) == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a stake"),
        ("   ", "Enter a stake"),
        ("abc", "as a number of units"),
        ("25 units", "as a number of units"),
        ("1e5", "as a number of units"),
        (".", "as a number of units"),
        ("-5", "more than zero"),
        ("-0.01", "more than zero"),
        ("10.555", "at most two decimals"),
        ("1,2,3", "Use “,” only between thousands"),
        ("1,0000", "Use “,” only between thousands"),
        ("9" * 13, "far more than any bankroll"),
    ],
)
def test_the_rest_is_refused_with_its_reason(typed: str, message: str) -> None:
    with pytest.raises(StakeRefused) as refused:
        parse_stake(typed)
    assert status_for(refused.value) == 422
    assert message in refused.value.message


@given(st.integers(min_value=1, max_value=10**11))
def test_every_amount_written_out_reads_back(cents: int) -> None:
    units, rest = divmod(cents, 100)
    assert parse_stake(f"{units}.{rest:02d}") == cents
    assert parse_stake(f"{units:,}.{rest:02d}") == cents


def test_the_payout_is_the_servers_arithmetic() -> None:
    win = payout(2_500, -150)
    assert win is not None
    assert (win.profit_cents, win.return_cents) == (win_profit_cents(2_500, -150), 4_166)
    assert payout(2_500, None) is None
    assert payout(0, 130) is None
    assert typed_stake_cents("25") == 2_500
    assert typed_stake_cents("-5") is None and typed_stake_cents("0") is None
