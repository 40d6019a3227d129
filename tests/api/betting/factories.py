"""Factories for the betting tests: a game with a line to bet on, flags, signing in (users
come from `tests.api.auth.helpers.make_user`, the one user factory)."""

from __future__ import annotations

import re
from collections.abc import Callable
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


def iso_z(at: datetime) -> str:
    """A time as the pipeline sends it (ISO 8601, `Z`)."""
    return at.isoformat().replace("+00:00", "Z")


@dataclass
class Pipeline:
    """The pipeline's writes through `POST /v1/ingest/{dataset}` with a write key, for tests
    that check what a page shows after each (`pipeline_for`)."""

    client: Any
    headers: dict[str, str]
    teams: dict[int, Team]

    async def ingest(self, dataset: str, records: list[dict[str, Any]]) -> None:
        answer = await self.client.post(
            f"/v1/ingest/{dataset}", json={"records": records}, headers=self.headers
        )
        assert answer.status_code == 200, answer.text

    def game_record(self, game: Game, **fields: Any) -> dict[str, Any]:
        """`game` as a `games` record (scheduled, no score), with `fields` changed."""
        home, away = self.teams[game.home_team_id], self.teams[game.away_team_id]
        values = {"external_id": game.external_id, "season": game.season,
                  "start_time": iso_z(game.start_time), "home_team": home.abbreviation,
                  "away_team": away.abbreviation, "status": "scheduled",
                  "home_score": None, "away_score": None}  # fmt: skip
        return {**values, **fields}


async def pipeline_for(client: Any, session: AsyncSession, slate: Slate) -> Pipeline:
    """A write key for the pipeline (added to `session`, not committed) and its writes."""
    from courtside.models import ApiScope
    from courtside.services.api_keys import create_key
    from courtside.services.audit import SYSTEM

    _, secret = await create_key(session, name="pipeline", scope=ApiScope.WRITE, actor=SYSTEM)
    teams = {team.id: team for team in slate.teams.values()}
    return Pipeline(client, {"X-API-Key": secret}, teams)


def without_tokens(page: str) -> str:
    """`page` with every form's CSRF token blanked: two views of the same page compare equal."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


async def served_as_built(client: Any, path: str, forget: Callable[[], None] | None = None) -> str:
    """The page at `path` as served, asserted equal (CSRF tokens aside) to the page built
    from nothing: the same request on a cache of its own, empty (and after `forget()` drops
    what the process remembers by input). The shared cache is left as the app left it, so
    the next view still reads whatever entries the writes in between failed to invalidate.
    Returns the page, tokens blanked."""
    from courtside import cache as cache_module

    served = await client.get(path, headers=HTML)
    assert served.status_code == 200, served.text
    shared = cache_module.get_cache()
    empty = cache_module.Cache(cache_module.MemoryBackend(), prefix="built", retry_after_seconds=1)
    cache_module.use_cache(empty)
    try:
        if forget is not None:
            forget()
        fresh = (await client.get(path, headers=HTML)).text
    finally:
        cache_module.use_cache(shared)
    assert without_tokens(served.text) == without_tokens(fresh)
    return without_tokens(fresh)


def typed(values: Any) -> list[Any]:
    """Each value with its type and UTC offset: a cached row compares equal to the row read
    only if they agree on all three."""
    return [(value, type(value), getattr(value, "utcoffset", lambda: None)()) for value in values]
