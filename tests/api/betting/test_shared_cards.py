"""A game card's shared markup remembered per input (`web.card_html.SHARED_CARDS`, issue 23).

The line and the bet form are the same for every viewer but for the CSRF token: the same
input is served the markup built for it, with each viewer's own token, bet and refused form;
any change of the input (a price, a book, a score, the state, the zone) builds new markup, so
a remembered card is never stale; and a board is byte for byte the board built from nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.services.game_rows import GameRow
from courtside.services.reference_data import TeamRef
from courtside.web import card_html as memo
from courtside.web.card_html import CardHtml
from courtside.web.cards import GameCard, Side
from courtside.web.formatting import Formatter
from courtside.web.stakes import STAKE_RULE
from courtside.web.viewer_slot import VIEWER_SLOT
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, csrf_from, make_slate, refusal_page, sign_in

START = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
NEW_YORK, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
BOS, NYK = TeamRef(1, "BOS", "Boston", "Celtics"), TeamRef(2, "NYK", "New York", "Knicks")


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Iterator[None]:
    memo.SHARED_CARDS.clear()
    yield
    memo.SHARED_CARDS.clear()


def _card(home_odds: int = -150, away_odds: int = 130, *, status: str = "scheduled",
          score: int | None = None, bookmaker: str = "alpha",
          reason: str | None = None) -> GameCard:  # fmt: skip
    """A new card for the same game, as the next request builds it (new objects)."""
    game = GameRow(7, 2026, START, 1, 2, status, score, score, None, None,
                   TeamRef(*BOS), TeamRef(*NYK))  # fmt: skip
    return GameCard(
        game=game,
        home=Side("home", game.home_team, home_odds, bookmaker, 60.0, 58.5),
        away=Side("away", game.away_team, away_odds, bookmaker, 43.5, 41.5),
        can_bet=reason is None,
        closed_reason=reason,
        my_bet=None,
        started=status != "scheduled",
    )


def _html(zone: ZoneInfo = NEW_YORK, *, signed_in: bool = True) -> CardHtml:
    return CardHtml(Formatter(zone), signed_in, "1,000.00", STAKE_RULE, back="board")


def _without_token(markup: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', markup)


def test_every_viewer_is_served_the_same_markup_with_their_own_token() -> None:
    first = _html()(_card(), "token-a")
    assert len(memo.SHARED_CARDS) == 1
    second = _html()(_card(), "token-b")
    assert len(memo.SHARED_CARDS) == 1  # the same input: served, not built again
    assert 'value="token-a"' in first and 'value="token-b"' in second
    assert "token-a" not in second and VIEWER_SLOT not in second
    assert _without_token(first) == _without_token(second)
    memo.SHARED_CARDS.clear()
    assert _html()(_card(), "token-b") == second  # built afresh: the same bytes


@pytest.mark.parametrize(
    ("changed", "shown"),
    [
        (_card(home_odds=-170), "-170"),
        (_card(away_odds=145), "+145"),
        (_card(reason="Betting is closed"), 'data-testid="game-state">Betting is closed<'),
        (_card(bookmaker="beta"), '<span class="book">beta</span>'),
        (_card(status="live", score=88, reason="Live · Q3"), 'data-testid="score">88<'),
        (_card(status="final", score=101, reason="Final"), "Final"),
    ],
)
def test_a_change_of_input_builds_new_markup(changed: GameCard, shown: str) -> None:
    before = _html()(_card(), "t")
    after = _html()(changed, "t")
    assert len(memo.SHARED_CARDS) == 2
    assert shown in after and shown not in before


def test_the_games_row_is_part_of_the_input() -> None:
    """A score or a tip-off that changes while the card's state and prices do not."""
    live = _html()(_card(status="live", score=88, reason="Live · Q3"), "t")
    scored = _html()(_card(status="live", score=90, reason="Live · Q3"), "t")
    assert 'data-testid="score">88<' in live and 'data-testid="score">90<' in scored
    moved = _card()
    moved.game = moved.game._replace(start_time=START + timedelta(hours=1))
    assert "7:30 PM EDT" in _html()(_card(), "t") and "8:30 PM EDT" in _html()(moved, "t")


def test_the_viewers_zone_is_part_of_the_input() -> None:
    new_york = _html(NEW_YORK)(_card(), "t")
    tokyo = _html(TOKYO)(_card(), "t")
    assert "7:30 PM EDT" in new_york and "8:30 AM JST" in tokyo
    assert len(memo.SHARED_CARDS) == 2


def test_a_refused_form_is_shown_as_sent_and_shared_by_no_one() -> None:
    """The first card built for a game may be a refused form; the next viewer still gets
    the plain form, and the refused one keeps its side, stake and message."""
    refused = _card()
    refused.error, refused.chosen_side, refused.stake = "Too much.", "away", "77"
    sent = _html()(refused, "token-a")
    assert 'value="77"' in sent and "Too much." in sent and 'value="away" required checked' in sent
    plain = _html()(_card(), "token-b")
    assert "Too much." not in plain and 'value="77"' not in plain and "checked" not in plain
    assert 'value=""' in plain and "token-b" in plain


def test_a_visitor_and_a_closed_game_get_no_form() -> None:
    assert 'data-testid="bet-form"' not in _html(signed_in=False)(_card(), "t")
    closed = _html()(_card(status="live", reason="Live"), "t")
    assert 'data-testid="bet-form"' not in closed
    assert memo.SHARED_CARDS.get(next(iter(memo.SHARED_CARDS))) is not None


def test_a_text_holding_the_viewer_slot_gets_a_form_of_its_own() -> None:
    """The shared form is split at `VIEWER_SLOT`; a game whose text held it (no real one
    does) has its form built per request, with the viewer's token, never the slot."""
    card = _card()
    strange = TeamRef(1, f"B{VIEWER_SLOT}", "Boston", "Celtics")
    card.home = card.home._replace(team=strange)
    markup = _html()(card, "token-a")
    assert markup.count('value="token-a"') == 1
    slot = markup.count(VIEWER_SLOT)
    assert slot == markup.count(f"B{VIEWER_SLOT}") == 4  # only the abbreviation's
    assert _html()(card, "token-b").count('value="token-b"') == 1  # per request, again
    assert 'name="csrf_token" value="token-a"' in markup


def test_the_markup_remembered_is_bounded() -> None:
    for odds in range(-100 - memo.SHARED_CARDS_KEPT - 5, -100):
        _html()(_card(home_odds=odds), "t")
    assert len(memo.SHARED_CARDS) == memo.SHARED_CARDS_KEPT
    assert "-100" not in memo.SHARED_CARDS.get(next(iter(memo.SHARED_CARDS))).line  # type: ignore[union-attr]


async def test_two_viewers_boards_differ_only_by_their_own(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """On the app: a refused form is shown to its viewer only; another viewer's board is
    the same markup with their token; and a remembered board is byte for byte the board
    built from nothing."""
    slate = await make_slate(session, games=3, starts_in=timedelta(hours=3))
    alice, bob = await make_user(session), await make_user(session)
    await session.commit()
    game = slate.games[0]

    sign_in(client, alice)
    token = csrf_from((await client.get("/", headers=HTML)).text)
    form = {"csrf_token": token, "game_id": str(game.id), "side": "home", "stake": "abc"}
    refused = await refusal_page(client, await client.post("/bets", data=form, headers=HTML))
    assert 'value="abc"' in refused

    sign_in(client, bob)
    remembered = (await client.get("/", headers=HTML)).text
    assert 'data-testid="bet-error"' not in remembered and 'value="abc"' not in remembered
    bob_token = csrf_from(remembered)
    assert bob_token != token
    assert remembered.count(f'name="csrf_token" value="{bob_token}"') == 1 + 3  # sign out, 3 forms
    assert token not in remembered
    memo.SHARED_CARDS.clear()
    assert (await client.get("/", headers=HTML)).text == remembered

    sign_in(client, alice)
    alice_board = (await client.get("/", headers=HTML)).text
    assert _cards(alice_board) and _cards(alice_board) == _cards(_without_token(remembered))


def _cards(page: str) -> list[str]:
    return re.findall(r"<article .*?</article>", _without_token(page), re.S)
