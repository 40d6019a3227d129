"""The CSV export neutralises formulas in every cell a spreadsheet could make of a field,
whatever separator it splits at (`;=1+1` used to pass: with `;` as the list separator the
next cell began with `=`)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.services import placing
from courtside.services.bet_export import _text, bets_csv
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate

PAYLOADS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    ";=1+1",
    "book;=1+1",
    "book,=1+1",
    "book\t=1+1",
    "book|=1+1",
    "book\n=1+1",
    'book;"=1+1"',
    "book; =1+1",
    "book;'=1+1",
    '=HYPERLINK("http://x";"y")',
]
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _formulas(text: str, delimiter: str) -> list[str]:
    """Cells a spreadsheet splitting at `delimiter` would read as formulas."""
    found = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        for cell in row:
            stripped = cell.strip(" ")
            if stripped.startswith(("=", "+", "-", "@")) and not NUMBER.fullmatch(stripped):
                found.append(cell)
    return found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_piece_of_a_guarded_value_starts_a_formula(payload: str) -> None:
    guarded = _text(payload)
    for separator in ",;\t|\r\n":
        for piece in guarded.split(separator):
            assert not piece.lstrip(' "').startswith(("=", "+", "-", "@")), (payload, piece)
    assert not guarded.startswith(("\t", "\r"))


def test_ordinary_values_are_unchanged() -> None:
    for value in ("BOS", "draftkings", "bet-365", "home", "won", "O'Brien & Sons"):
        assert _text(value) == value


async def test_the_export_has_no_formula_cell_for_any_separator(session: AsyncSession) -> None:
    user = await make_user(session)
    slate = await make_slate(session, games=len(PAYLOADS))
    for game, payload in zip(slate.games, PAYLOADS, strict=True):
        bet = await placing.place_bet(
            session, user_id=user.id, game_id=game.id, side="home", stake_cents=100
        )
        bet.bookmaker = payload[:64]
    await session.flush()
    exported = await bets_csv(session, user.id)
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    assert len(rows) == len(PAYLOADS)
    assert {row["bookmaker"].replace("'", "") for row in rows} >= {
        p.replace("'", "") for p in PAYLOADS if not p.startswith(("\t", "\r"))
    }
    for delimiter in (",", ";", "\t", "|"):
        assert _formulas(exported, delimiter) == [], delimiter
