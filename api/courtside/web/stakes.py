"""The stake a person types into a bet form, and what it would pay.

`parse_stake` is the authority on what a stake may look like (the form has no `pattern=`:
the browser's "Please match the requested format." would hide these messages). It accepts
what a person obviously means and says precisely what is wrong otherwise:

- spaces anywhere are ignored (` 25 `, `1 000`), a leading `+` too;
- `,` groups thousands (`1,000.50`), or is the decimal mark when it is the only separator
  and one or two digits follow it (`12,50` is 12.50, never 1,250);
- a negative stake, more than two decimals, or text that is not a number each get their
  own message. The service checks the rest (zero, the maximum, the bankroll).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from courtside.domain_errors import Invalid
from courtside.odds import is_valid_american, win_profit_cents

STAKE_RULE = "Units, at most two decimals, e.g. 25 or 12.50; at most your bankroll."
"""What the form says next to the field."""

MAX_DIGITS = 12
_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<whole>\d*)(?:\.(?P<frac>\d*))?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d{1,2}")


class StakeRefused(Invalid):
    def __init__(self, message: str) -> None:
        super().__init__("invalid_stake", message)


def _normalised(raw: str) -> str:
    text = "".join(raw.split())
    if "," not in text:
        return text
    if _THOUSANDS.fullmatch(text):
        return text.replace(",", "")
    if _DECIMAL_COMMA.fullmatch(text):
        return text.replace(",", ".")
    raise StakeRefused("Use “,” only between thousands (1,000.50) or as the decimal mark (12,50).")


def parse_stake(raw: str) -> int:
    """The stake in cents; `StakeRefused` (422) with a message a person understands."""
    text = _normalised(raw)
    if not text:
        raise StakeRefused("Enter a stake: a number of units, like 25 or 12.50.")
    number = _NUMBER.fullmatch(text)
    if number is None or not (number["whole"] or number["frac"]):
        raise StakeRefused("Enter the stake as a number of units, like 25 or 12.50.")
    whole, frac = number["whole"] or "0", number["frac"] or ""
    if len(whole.lstrip("0")) > MAX_DIGITS:
        raise StakeRefused("That stake is far more than any bankroll.")
    if number["sign"] == "-" and int(whole + frac or "0") > 0:
        raise StakeRefused("The stake must be more than zero.")
    if len(frac) > 2:
        raise StakeRefused("Use at most two decimals (whole cents), like 10.55.")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def typed_stake_cents(raw: str) -> int | None:
    """The stake of a form that is shown again, if it is a usable one (else None)."""
    try:
        cents = parse_stake(raw)
    except StakeRefused:
        return None
    return cents if cents > 0 else None


@dataclass(frozen=True)
class Payout:
    """What a stake returns if the side wins: the profit, and the stake with it."""

    profit_cents: int
    return_cents: int


def payout(stake_cents: int, odds: int | None) -> Payout | None:
    if odds is None or stake_cents <= 0 or not is_valid_american(odds):
        return None
    profit = win_profit_cents(stake_cents, odds)
    return Payout(profit, profit + stake_cents)
