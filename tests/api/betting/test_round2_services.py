"""Services of the web app's second round: the best price, cancelling a bet, notifications
created in the settling transaction and e-mailed after its commit, the leaderboard, and
simulated results through ingestion."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside import unit_of_work
from courtside.domain_errors import DomainError
from courtside.errors import status_for
from courtside.models import AuditEvent, Bet, Game, Notification, Team, User, Wallet, utcnow
from courtside.services import (
    audit,
    email,
    leaderboard,
    markets,
    notifications,
    placing,
    settlement,
    simulation,
)
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate
from tests.helpers import both_dialects, make_game, make_odds, make_teams

pytestmark = pytest.mark.usefixtures("cache")

START = 100_000
ACTOR = audit.Actor("user", "1", "someone")


class Outbox:
    """An e-mail sender that keeps what it is given (or fails, when told to)."""

    def __init__(self, *, fail_for: str | None = None) -> None:
        self.sent: list[email.Email] = []
        self.fail_for = fail_for

    async def send(self, message: email.Email) -> None:
        if message.to == self.fail_for:
            raise ConnectionError("SES is unreachable")
        self.sent.append(message)


@pytest.fixture
def outbox() -> object:
    box = Outbox()
    email.use_sender(box)
    yield box
    email.use_sender(None)


async def _finish(session: AsyncSession, game: Game, home: int, away: int) -> int:
    game.status, game.home_score, game.away_score = "final", home, away
    await session.flush()
    return await settlement.settle_games(session, [game.id])


async def _balance(session: AsyncSession, user_id: int) -> int:
    return int(
        await session.scalar(
            select(Wallet.balance_cents)
            .where(Wallet.user_id == user_id)
            .execution_options(populate_existing=True)
        )
        or 0
    )


# --- the best price ----------------------------------------------------------------------


@both_dialects
async def test_a_bet_takes_the_best_price_of_any_book_and_records_it(session: AsyncSession) -> None:
    user = await make_user(session)
    slate = await make_slate(session, home_odds=-150, away_odds=130)
    game = slate.games[0]
    now = utcnow()
    await make_odds(session, game, -140, 120, now - timedelta(minutes=5), bookmaker="alpha")
    await make_odds(session, game, -165, 150, now - timedelta(minutes=9), bookmaker="zeta")
    await make_odds(session, game, -110, 200, now - timedelta(days=3), bookmaker="stale")
    market = await markets.market(session, game.id)
    assert market is not None
    assert (market.home.odds, market.home.bookmaker) == (-140, "alpha")  # type: ignore[union-attr]
    assert (market.away.odds, market.away.bookmaker) == (150, "zeta")  # type: ignore[union-attr]
    bet = await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="away", stake_cents=1_000
    )
    assert (bet.odds, bet.bookmaker) == (150, "zeta")  # not the stale book's +200


# --- cancelling ----------------------------------------------------------------------------


@both_dialects
async def test_cancel_before_tip_off_refunds_and_is_audited(session: AsyncSession) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    bet = await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="home", stake_cents=2_500
    )
    assert await _balance(session, user.id) == START - 2_500
    actor = audit.Actor("user", str(user.id), user.username)
    cancelled = await placing.cancel_bet(session, user_id=user.id, bet_id=bet.id, actor=actor)
    assert (cancelled.status, cancelled.profit_cents, cancelled.display_status) == (
        "refunded",
        0,
        "cancelled",
    )
    assert cancelled.cancelled_at is not None
    assert await _balance(session, user.id) == START
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "bet.cancel"))
    assert event is not None and event.target == f"bet:{bet.id}"
    # Cancelled once; a second time is refused, and the user may bet on the game again.
    with pytest.raises(DomainError) as again:
        await placing.cancel_bet(session, user_id=user.id, bet_id=bet.id, actor=actor)
    assert again.value.code == "bet_not_open"
    await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="away", stake_cents=1_000
    )
    # Settling the game leaves the cancelled bet alone and sends it no notification.
    assert await _finish(session, game, 100, 90) == 1
    notes = (await session.scalars(select(Notification.bet_id))).all()
    assert bet.id not in notes


@both_dialects
async def test_cancel_is_refused_after_tip_off_when_settled_and_for_others(
    session: AsyncSession,
) -> None:
    user, other = await make_user(session), await make_user(session)
    game = (await make_slate(session)).games[0]
    bet = await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="home", stake_cents=1_000
    )
    with pytest.raises(DomainError) as late:
        await placing.cancel_bet(
            session, user_id=user.id, bet_id=bet.id, actor=ACTOR, now=game.start_time
        )
    assert late.value.code == "game_started"
    with pytest.raises(DomainError) as foreign:
        await placing.cancel_bet(session, user_id=other.id, bet_id=bet.id, actor=ACTOR)
    assert status_for(foreign.value) == 404
    await _finish(session, game, 80, 90)
    with pytest.raises(DomainError) as settled:
        await placing.cancel_bet(session, user_id=user.id, bet_id=bet.id, actor=ACTOR)
    assert settled.value.code == "bet_not_open"
    assert await _balance(session, user.id) == START - 1_000  # lost, not refunded


# --- notifications -------------------------------------------------------------------------


@both_dialects
async def test_settlement_notifies_in_its_transaction_and_emails_after_commit(
    session: AsyncSession, outbox: Outbox
) -> None:
    keen, quiet = await make_user(session), await make_user(session)
    keen.email_notifications = True
    game = (await make_slate(session)).games[0]
    for user, side in ((keen, "home"), (quiet, "away")):
        await placing.place_bet(
            session, user_id=user.id, game_id=game.id, side=side, stake_cents=2_000
        )
    work = unit_of_work.of(session)
    assert await _finish(session, game, 101, 99) == 2
    rows = (await session.scalars(select(Notification).order_by(Notification.user_id))).all()
    assert [(row.user_id, row.kind) for row in rows] == [
        (keen.id, "bet_settled"),
        (quiet.id, "bet_settled"),
    ]
    assert rows[0].message.startswith("Won: 20.00 on BOS (NYK 99-101 BOS), +")
    assert rows[1].message == "Lost: 20.00 on NYK (NYK 99-101 BOS), -20.00."
    assert outbox.sent == []  # nothing leaves before the commit
    await work.commit()
    assert [(m.to, m.body) for m in outbox.sent] == [(keen.email, rows[0].message)]
    assert await notifications.unread_count(session, keen.id) == 1
    assert await notifications.mark_all_read(session, keen.id) == 1
    assert await notifications.unread_count(session, keen.id) == 0


async def test_a_rolled_back_settlement_leaves_no_notification_and_sends_nothing(
    session: AsyncSession, outbox: Outbox
) -> None:
    user = await make_user(session)
    user.email_notifications = True
    game = (await make_slate(session)).games[0]
    await placing.place_bet(session, user_id=user.id, game_id=game.id, side="home", stake_cents=500)
    work = unit_of_work.of(session)
    await work.commit()
    await _finish(session, game, 90, 100)
    await work.rollback()
    await work.commit()
    assert outbox.sent == []
    assert await session.scalar(select(func.count(Notification.id))) == 0


async def test_a_failing_sender_is_logged_and_breaks_nothing(
    session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    box = Outbox(fail_for="bettor-broken@example.test")
    email.use_sender(box)
    try:
        broken = await make_user(session, username="bettor-broken")
        fine = await make_user(session)
        for user in (broken, fine):
            user.email_notifications = True
        game = (await make_slate(session)).games[0]
        for user in (broken, fine):
            await placing.place_bet(
                session, user_id=user.id, game_id=game.id, side="home", stake_cents=500
            )
        work = unit_of_work.of(session)
        await _finish(session, game, 100, 90)
        with caplog.at_level(logging.ERROR):
            await work.commit()  # does not raise
        assert [m.to for m in box.sent] == [fine.email]
        assert "sending a notification e-mail failed" in caplog.text
        settled = (await session.scalars(select(Bet.status))).all()
        assert settled == ["won", "won"]  # the settlement stands
    finally:
        email.use_sender(None)


async def test_senders(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "mail"
    message = email.Email(to="a@example.com", subject="Courtside", body="Won: 1.00 on BOS.")
    await email.FileSender("Courtside <no-reply@x.test>", folder).send(message)
    written = next(folder.glob("*.eml")).read_text()
    assert "To: a@example.com" in written and "Won: 1.00 on BOS." in written
    from courtside.settings import EmailBackend, NotificationSettings

    assert isinstance(
        email.build_sender(NotificationSettings(email_backend=EmailBackend.OFF)), email.OffSender
    )
    assert isinstance(email.build_sender(NotificationSettings()), email.LogSender)  # local


def test_the_ses_sender_calls_sendemail_with_the_configuration_set() -> None:
    """Against botocore's Stubber (no AWS call): the SES v2 request the sender makes."""
    import asyncio

    import boto3
    from botocore.stub import Stubber

    client = boto3.client("sesv2", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="x")  # fmt: skip
    sender = email.SesSender(
        "Courtside <no-reply@courtside.example>", configuration_set="courtside-dev", client=client
    )
    message = email.Email(to="fan@example.com", subject="Courtside: a bet settled", body="Won.")
    with Stubber(client) as stub:
        stub.add_response("send_email", {"MessageId": "m-1"}, sender.request(message))
        asyncio.run(sender.send(message))
        stub.assert_no_pending_responses()
    assert sender.request(message)["ConfigurationSetName"] == "courtside-dev"
    assert sender.request(message)["Destination"] == {"ToAddresses": ["fan@example.com"]}


def test_boto3_is_not_imported_with_the_app() -> None:
    import subprocess
    import sys
    from pathlib import Path

    api = Path(__file__).resolve().parents[3] / "api"
    script = (
        "import sys, courtside.main, courtside.services.notifications, courtside.services.email\n"
        "assert 'boto3' not in sys.modules, 'boto3 imported eagerly'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=api,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(api), "ENVIRONMENT": "local", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr


# --- the leaderboard -----------------------------------------------------------------------


async def _record(
    session: AsyncSession,
    teams: dict[str, Team],
    user: User,
    results: list[tuple[int, str]],
    *,
    days_ago: int = 1,
) -> None:
    """Settled bets for `user`: (stake, won/lost), at +100 odds, each on its own game."""
    settled = utcnow() - timedelta(days=days_ago)
    for stake, outcome in results:
        game = await make_game(session, teams["BOS"], teams["NYK"], settled - timedelta(hours=3))
        session.add(
            Bet(
                user_id=user.id, game_id=game.id, side="home", stake_cents=stake, odds=100,
                bookmaker="book", odds_recorded_at=settled, status=outcome,
                profit_cents=stake if outcome == "won" else -stake, placed_at=settled,
                settled_at=settled,
            )
        )  # fmt: skip
    await session.flush()


async def _optin(session: AsyncSession, name: str) -> User:
    user = await make_user(session)
    user.display_name, user.leaderboard_opt_in = name, True
    await session.flush()
    return user


async def test_leaderboard_ranks_by_profit_or_roi_with_ties_and_a_minimum(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADERBOARD_MIN_BETS", "2")
    from courtside.settings import reset_settings

    reset_settings()
    teams = await make_teams(session)
    big = await _optin(session, "Big Stakes")  # +100 on 1,100 staked
    sharp = await _optin(session, "Sharp")  # +100 on 300 staked: same profit, better ROI
    loser = await _optin(session, "Cold")  # -200
    lucky = await _optin(session, "One Hit")  # one bet: below the minimum
    hidden = await make_user(session)  # not opted in
    await _record(session, teams, big, [(600, "won"), (500, "lost")])
    await _record(session, teams, sharp, [(200, "won"), (100, "lost")])
    await _record(session, teams, loser, [(100, "lost"), (100, "lost")])
    await _record(session, teams, lucky, [(5_000, "won")])
    await _record(session, teams, hidden, [(9_000, "won"), (9_000, "won")])

    twin = await _optin(session, "Another Sharp")  # exactly Sharp's numbers: a shared rank
    await _record(session, teams, twin, [(200, "won"), (100, "lost")])
    by_profit = await leaderboard.leaderboard(session, period="30d", order="profit")
    assert [(e.rank, e.name, e.profit_cents) for e in by_profit.entries] == [
        (1, "Another Sharp", 100),  # equal profit: the better ROI first; full ties by name
        (1, "Sharp", 100),
        (3, "Big Stakes", 100),
        (4, "Cold", -200),
    ]
    by_roi = await leaderboard.leaderboard(session, period="30d", order="roi")
    assert [e.name for e in by_roi.entries] == ["Another Sharp", "Sharp", "Big Stakes", "Cold"]
    assert by_roi.entries[0].roi == pytest.approx(100 / 300)

    mine = await leaderboard.standing(session, by_roi, lucky.id)
    assert mine.entry is None and mine.reason is not None and "need 2" in mine.reason
    assert (await leaderboard.standing(session, by_roi, hidden.id)).reason.startswith(  # type: ignore[union-attr]
        "You are not on the leaderboard"
    )
    assert (await leaderboard.standing(session, by_roi, big.id)).entry.rank == 3  # type: ignore[union-attr]

    old = await _optin(session, "Last Month")
    await _record(session, teams, old, [(1_000, "won"), (1_000, "won")], days_ago=45)
    recent = await leaderboard.leaderboard(session, period="30d", order="profit")
    assert "Last Month" not in [e.name for e in recent.entries]
    season = await leaderboard.leaderboard(session, period="season", order="profit")
    assert season.entries[0].name == "Last Month"
    reset_settings()


# --- simulated results -----------------------------------------------------------------------


async def test_simulated_results_go_through_ingestion_and_settle(
    session: AsyncSession, outbox: Outbox
) -> None:
    user = await make_user(session)
    user.email_notifications = True
    slate = await make_slate(session, games=2)
    tipped, later = slate.games
    await placing.place_bet(
        session, user_id=user.id, game_id=tipped.id, side="home", stake_cents=1_000
    )
    work = unit_of_work.of(session)
    now = tipped.start_time + timedelta(seconds=30)  # only the first game has tipped off
    done = await simulation.simulate_results(session, actor=ACTOR, now=now)
    assert (done.games, done.bets_settled) == (1, 1)
    await session.refresh(tipped)
    await session.refresh(later)
    assert tipped.status == "final" and tipped.home_score != tipped.away_score
    assert later.status == "scheduled"
    assert (tipped.home_score, tipped.away_score) == simulation.final_score(
        tipped.external_id, 0.55
    )
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "ingest.games"))
    assert event is not None and event.actor_name == "someone"
    await work.commit()
    assert len(outbox.sent) == 1  # the e-mail follows the commit
    again = await simulation.simulate_results(session, actor=ACTOR, now=now)
    assert (again.games, again.bets_settled) == (0, 0)


async def test_simulation_is_local_only(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.setenv("JWT_SECRET", "x" * 64)
    from courtside.settings import reset_settings

    reset_settings()
    try:
        with pytest.raises(DomainError) as refused:
            await simulation.simulate_results(session, actor=ACTOR)
        assert status_for(refused.value) == 403
    finally:
        reset_settings()
