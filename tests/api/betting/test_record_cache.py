"""What the record page reads from the cache (`record_reads.record_page_reads`, issue 23: the
user's bets as the record reads them and their bankroll resets, in the `RECORDS` namespace).

The cached rows and resets are what the statements read, values and types, on both dialects;
and on the app, each write that changes a record, made the way the app makes it (a bet placed
and cancelled on the pages, a result, a later closing quote and an earlier tip-off through
the pipeline's ingestion, a bankroll reset), shows on the very next view: the record served
is the record built from nothing (on an empty cache of its own and without the remembered
section, `factories.served_as_built`), and differs from the one before the write.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside import unit_of_work
from courtside.cache import Cache
from courtside.http_cache import RECORDS
from courtside.models import BankrollReset, Bet, utcnow
from courtside.schemas.common import PageParams
from courtside.services import bankroll, late_bets, placing, record_lines, record_reads, settlement
from courtside.services.bet_record import BetFilters
from courtside.web import record_sections as memo
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import (
    HTML,
    csrf_from,
    iso_z,
    make_slate,
    pipeline_for,
    served_as_built,
    sign_in,
    typed,
)
from tests.api.betting.test_analytics import _history
from tests.helpers import both_dialects


@both_dialects
async def test_the_cached_rows_and_resets_are_what_the_statements_read(
    session: AsyncSession,
) -> None:
    user_id = await _history(session)  # won, lost, open and cancelled bets, closing quotes
    for n in range(2):
        at, before = utcnow() - timedelta(days=n), 1000 * n
        session.add(BankrollReset(user_id=user_id, reset_at=at, balance_before_cents=before,
                                  balance_after_cents=100_000))  # fmt: skip
    await session.flush()
    rows = await record_reads.record_rows(session, user_id)
    assert len(rows) == 7 and any(row[9] is not None for row in rows)
    assert any(row[6] is None and row[9] is None for row in rows)  # an open bet: no times
    _, key, _, build = record_reads.record_rows_read(session, user_id)
    cached = record_reads.rows_of(await build())
    assert key == f"rows:{user_id}"
    assert [typed(row) for row in cached] == [typed(row) for row in rows]
    assert record_reads.rows_of(record_reads.rows_json(rows)) == rows

    resets = await bankroll.resets(session, user_id)
    assert resets
    _, key, _, build = bankroll.resets_read(session, user_id)
    assert key == f"resets:{user_id}"
    fields = bankroll.ResetRow.__slots__
    assert [typed(getattr(r, f) for f in fields) for r in bankroll.resets_of(await build())] == [
        typed(getattr(r, f) for f in fields) for r in resets
    ]


@both_dialects
async def test_the_cached_first_page_of_bets_is_what_the_statement_reads(
    session: AsyncSession,
) -> None:
    """`record_lines.first_page_read`'s entry: the page `bet_lines` reads (values, types and
    offsets), with its total, whether the page holds every bet or only the newest."""
    user_id = await _history(session)  # won, lost, open and cancelled bets
    for limit in (50, 3):
        expected = await record_lines.bet_lines(
            session, user_id, PageParams(limit=limit, offset=0), BetFilters()
        )
        _, key, _, build = record_lines.first_page_read(session, user_id, limit)
        cached = record_lines.lines_of(await build())
        assert key == f"lines:{user_id}:{limit}"
        assert cached.total == expected.total == 7
        assert len(cached.items) == min(limit, 7)
        fields = record_lines.BetLine.__slots__
        assert [typed(getattr(line, f) for f in fields) for line in cached.items] == [
            typed(getattr(line, f) for f in fields) for line in expected.items
        ]
    assert any(line.cancelled_at is not None for line in expected.items)


async def _record(client: httpx.AsyncClient) -> str:
    """The record as served, asserted equal to the record built from nothing."""
    return await served_as_built(client, "/record", memo.RECORD_SECTIONS.clear)


async def test_each_write_of_a_record_shows_on_its_next_view(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    made = await make_slate(session, games=3, starts_in=timedelta(hours=2))
    user = await make_user(session)
    pipeline = await pipeline_for(client, session, made)
    await session.commit()
    sign_in(client, user)

    ingest, game_record = pipeline.ingest, pipeline.game_record

    pages = [await _record(client)]
    for _ in range(2):  # cached and remembered
        assert (await _record(client)) == pages[-1]

    async def changed(what: str) -> None:
        page = await _record(client)
        assert page != pages[-1], what
        pages.append(page)

    board = (await client.get("/", headers=HTML)).text
    first, second, third = made.games
    for game in (first, second, third):
        placed = await client.post(
            "/bets",
            data={"csrf_token": csrf_from(board), "game_id": str(game.id), "side": "home",
                  "stake": "10"},
            headers=HTML,
        )  # fmt: skip
        assert placed.status_code == 303, placed.text
        await changed(f"a bet placed on {game.id}")

    bet_of = {
        bet.game_id: bet.id
        for bet in await session.scalars(select(Bet).where(Bet.user_id == user.id))
    }
    record = (await client.get("/record", headers=HTML)).text
    cancelled = await client.post(
        f"/bets/{bet_of[third.id]}/cancel", data={"csrf_token": csrf_from(record)}, headers=HTML
    )
    assert cancelled.status_code == 303, cancelled.text
    await changed("a bet cancelled")

    # The pipeline: a result (the bet is settled), then a later closing quote before tip-off.
    await ingest("games", [game_record(first, status="final", home_score=101, away_score=99)])
    await changed("a result")
    settled = await session.scalar(select(Bet.status).where(Bet.id == bet_of[first.id]))
    assert settled == "won"
    quote = {"game": first.external_id, "bookmaker": "book", "home_odds": -400,
             "away_odds": 300, "recorded_at": iso_z(utcnow() - timedelta(minutes=30))}  # fmt: skip
    await ingest("odds", [quote])
    await changed("a later closing quote")
    # The same result with an earlier tip-off: no bet settles or is refunded, but the closing
    # line's cut-off moves before the later quote (`NAMESPACES[GAMES]` alone invalidates).
    earlier = iso_z(utcnow() - timedelta(minutes=40))
    await ingest("games", [game_record(first, status="final", home_score=101, away_score=99,
                                       start_time=earlier)])  # fmt: skip
    await changed("an earlier tip-off of a final game")

    # An earlier tip-off: the bet placed after it is refunded (`late_bets`).
    await ingest("games", [game_record(second, start_time=iso_z(utcnow() - timedelta(hours=1)))])
    await changed("a late bet refunded")
    late = await session.scalar(select(Bet.status).where(Bet.id == bet_of[second.id]))
    assert late == "refunded"

    account = (await client.get("/account", headers=HTML)).text
    reset = await client.post(
        "/account/bankroll/reset",
        data={"csrf_token": csrf_from(account), "confirm": "yes"},
        headers=HTML,
    )
    assert reset.status_code == 303, reset.text
    await changed("a bankroll reset")
    assert 'data-testid="bankroll-resets"' in pages[-1]


async def test_settling_and_refunding_bets_invalidate_the_records(
    session: AsyncSession, cache: Cache
) -> None:
    """Beside the ingestion of games (which registers the records with its own namespaces),
    a settlement and a refund of late bets register them themselves: an operator's
    `settle_all` or the demo loader settle outside an ingestion."""
    made = await make_slate(session, games=2, starts_in=timedelta(hours=2))
    user = await make_user(session)
    for game in made.games:
        await placing.place_bet(session, user_id=user.id, game_id=game.id, side="home",
                                stake_cents=1_000)  # fmt: skip
    await unit_of_work.of(session).commit()
    first, second = made.games
    first.status, first.home_score, first.away_score = "final", 100, 90
    second.start_time = utcnow() - timedelta(hours=1)  # the bet was placed after it
    await session.flush()
    version = cache._version_key(RECORDS)
    for write in (
        lambda: settlement.settle_games(session, [first.id]),
        lambda: late_bets.void_bets_after_tip_off(session, [second.id]),
    ):
        before = await cache.backend.get(version)
        assert await write() == 1
        await unit_of_work.of(session).commit()
        assert await cache.backend.get(version) not in (before, None)
