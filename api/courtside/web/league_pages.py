"""League pages: a game (every book's line, the odds movement, the viewer's bet), the
standings, a team (roster, schedule and results) and a player (season stats, injuries).

Public pages: anyone may read them; a signed-in viewer also sees their bet and may bet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from courtside.auth.deps import AuthUser
from courtside.models import Game, GameStatus, utcnow
from courtside.odds import format_units
from courtside.services import bet_record, board, flags, page_slates, reference_data, seasons
from courtside.services.closing_line import market_from_history
from courtside.services.standings import standings_for
from courtside.unit_of_work import SessionDep
from courtside.web import bet_flash
from courtside.web.board_pages import placed_message
from courtside.web.card_html import CardHtml
from courtside.web.cards import FormState, cards_for, has_started
from courtside.web.odds_section import odds_section
from courtside.web.session import PageOptionalUser, formatter, viewer_wallet
from courtside.web.stakes import STAKE_RULE
from courtside.web.templating import render

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

router = APIRouter(include_in_schema=False)

GameId = Annotated[int, Path(ge=1, le=2_147_483_647)]
PlayerId = Annotated[int, Path(ge=1, le=2_147_483_647)]
TeamAbbr = Annotated[str, Path(min_length=2, max_length=3, pattern=r"^[A-Za-z]{2,3}$")]


async def game_page_context(
    request: Request,
    session: AsyncSession,
    user: AuthUser | None,
    game_id: int,
    *,
    form: FormState | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    viewer = user.id if user else None
    reads = await page_slates.game_page_reads(session, game_id, viewer)  # one MGET
    slate, all_flags, history = reads.slate, reads.flags, reads.history
    game = slate.games[0]
    now = utcnow()
    found = market_from_history(game, history, now)
    card = (
        cards_for(
            [game],
            predictions=slate.predictions,
            bets=slate.bets,
            markets={game.id: found} if found else {},
            betting_open=all_flags.get(flags.BETTING_OPEN, False),
            form=form,
            notice=(game.id, notice) if notice else None,
            now=now,
        )
    )[0]
    fmt = formatter(request)
    section = odds_section(history, fmt.zone, home=game.home_team.abbreviation, now=now)
    context: dict[str, Any] = {
        "game": game,
        "card": card,
        "user": user,
        "quotes": found.quotes if found else [],
        "best": found,
        "odds_chart": section.chart,  # issue 23: a string, remembered (web.odds_section)
        "statistics": section.statistics,
        "started": has_started(game, now),
    }
    bankroll = None if user is None else format_units(viewer_wallet(request)[0])
    if bankroll is not None:
        context["bankroll"] = bankroll
    context["card_html"] = CardHtml(fmt, user is not None, bankroll, STAKE_RULE, back="game")
    return context


@router.get("/games/{game_id}")
async def game_page(
    request: Request,
    session: SessionDep,
    user: PageOptionalUser,
    game_id: GameId,
    placed: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    cancelled: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    notice = None
    if user is not None and (placed or cancelled):
        bet = await bet_record.get_bet(session, user.id, placed or cancelled or 0)
        if bet is not None and bet.game_id == game_id:
            notice = (
                placed_message(bet, team_name=False)
                if placed
                else "Bet cancelled: the stake is back."
            )
    refused = bet_flash.take(request, user.id if user else None)
    context = await game_page_context(request, session, user, game_id, notice=notice, form=refused)
    response = render(request, "game.html", context)
    bet_flash.forget(response, request)
    return response


@router.get("/standings")
async def standings_page(
    request: Request,
    session: SessionDep,
    _user: PageOptionalUser,
    season: Annotated[int | None, Query(ge=1946, le=2100)] = None,
) -> Response:
    chosen, conferences = await standings_for(session, season)
    return render(request, "standings.html", {"season": chosen, "conferences": conferences})


@dataclass(frozen=True)
class Result:
    game: Game
    opponent: str
    home: bool
    outcome: str | None
    """`W 112-104` / `L 98-101` for a final game, else None."""


def _results(games: list[Game], team_id: int) -> list[Result]:
    results = []
    for game in games:
        home = game.home_team_id == team_id
        opponent = (game.away_team if home else game.home_team).abbreviation
        outcome = None
        if game.status == GameStatus.FINAL.value and game.home_score is not None:
            assert game.away_score is not None
            mine, theirs = (
                (game.home_score, game.away_score) if home else (game.away_score, game.home_score)
            )
            outcome = f"{'W' if mine > theirs else 'L'} {mine}-{theirs}"
        results.append(Result(game, opponent, home, outcome))
    return results


@router.get("/teams/{abbreviation}")
async def team_page(
    request: Request, session: SessionDep, _user: PageOptionalUser, abbreviation: TeamAbbr
) -> Response:
    team = await board.team_by_abbreviation(session, abbreviation)
    season = await seasons.current_season(session)
    games = await board.team_games(session, team.id, season)
    results = _results(games, team.id)
    finals = [r for r in results if r.outcome]
    wins = sum(1 for r in finals if r.outcome and r.outcome.startswith("W"))
    return render(
        request,
        "team.html",
        {
            "team": team,
            "season": season,
            "roster": await board.roster(session, team.id),
            "played": [r for r in results if r.outcome or r.game.status != "scheduled"],
            "upcoming": [r for r in results if not r.outcome and r.game.status == "scheduled"],
            "wins": wins,
            "losses": len(finals) - wins,
        },
    )


@router.get("/players/{player_id}")
async def player_page(
    request: Request, session: SessionDep, _user: PageOptionalUser, player_id: PlayerId
) -> Response:
    player = await board.player(session, player_id)
    teams = {team.id: team for team in await reference_data.teams(session)}
    return render(
        request,
        "player.html",
        {
            "player": player,
            "team": teams.get(player.team_id) if player.team_id else None,
            "teams": teams,
            "stats": await board.player_stats(session, player.id),
            "injuries": await board.player_injuries(session, player.id),
        },
    )
