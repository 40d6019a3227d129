"""Factories for the betting tests: a game with a line to bet on, flags, signing in (users
come from `tests.api.auth.helpers.make_user`, the one user factory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import FeatureFlag, Game, Team, User, utcnow
from tests.helpers import make_game, make_odds, make_teams


@dataclass
class Slate:
    teams: dict[str, Team]
    games: list[Game]


async def make_slate(
    session: AsyncSession,
    *,
    games: int = 1,
    home_odds: int = -150,
    away_odds: int = 130,
    starts_in: timedelta = timedelta(days=1),
    now: datetime | None = None,
) -> Slate:
    """`games` scheduled games between the four test teams, each with one line."""
    now = now or utcnow()
    teams = await make_teams(session)
    pairs = [("BOS", "NYK"), ("LAL", "DEN"), ("NYK", "BOS"), ("DEN", "LAL")]
    made = []
    for i in range(games):
        home, away = pairs[i % len(pairs)]
        game = await make_game(
            session, teams[home], teams[away], now + starts_in + timedelta(minutes=i)
        )
        await make_odds(session, game, home_odds, away_odds, now - timedelta(hours=1))
        made.append(game)
    return Slate(teams=teams, games=made)


async def set_flag(session: AsyncSession, name: str, enabled: bool) -> None:
    from courtside.services.flags import invalidate_flags

    flag = await session.get(FeatureFlag, name)
    if flag is None:
        session.add(FeatureFlag(name=name, enabled=enabled))
    else:
        flag.enabled = enabled
    await session.flush()
    await invalidate_flags()


HTML = {"Accept": "text/html"}


def sign_in(client: object, user: User) -> None:
    """Give an httpx client the web session cookie of `user`."""
    from courtside.auth.tokens import issue_token
    from courtside.settings import get_auth_settings

    issued = issue_token(user_id=user.id, role=user.role, token_version=user.token_version)
    client.cookies.set(get_auth_settings().session_cookie_name, issued.token)  # type: ignore[attr-defined]


async def refusal_page(client: Any, response: Any) -> str:
    """A refused bet form is answered with a redirect (303) to the card it came from; the
    page that redirect leads to shows the refusal once."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert "placed=" not in location, location
    page = await client.get(location.split("#")[0], headers=HTML)
    assert page.status_code == 200, page.text
    assert 'data-testid="bet-error"' in page.text
    return str(page.text)


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
