"""An account a person runs themselves (issue 22), over HTTP, e-mail through the real file
sink: change the password or the address (with the current password), forgot password
(the same answer for any address, rate limited, a single-use link that signs out every
session), delete the account (no sign-in after; its bets stay in the totals, anonymised),
reset the bankroll (recorded, on the record page). Every form needs its CSRF token."""

from __future__ import annotations

import email as email_parser
import re
from collections.abc import Iterator
from email import policy
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.auth import account_limits
from courtside.models import AuditEvent, BankrollReset, Bet, Notification, User, Wallet
from courtside.services import email, leaderboard, placing, settlement
from courtside.settings import get_betting_settings
from scripts.demo_bets import NothingAdded, seed_bet_history
from tests.api.betting.factories import make_slate

from .helpers import PASSWORD, make_user, token, user_headers
from .test_web_session import csrf_from, login

NEW_PASSWORD = "a-fresh-unusual-passphrase-7"


class Mailbox:
    """The file e-mail sink's folder, read like a person reads their mail."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def messages(self, to: str | None = None) -> list[tuple[str, str, str]]:
        found = []
        for path in sorted(self.folder.glob("*.eml")) if self.folder.exists() else []:
            message = email_parser.message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body()
            assert body is not None
            found.append((str(message["To"]), str(message["Subject"]), body.get_content()))
        return [m for m in found if to is None or m[0] == to]

    def link(self, to: str) -> str:
        (*_, (_, _, body)) = self.messages(to)
        match = re.search(r"http://testserver(/\S+\?token=[\w-]+)", body)
        assert match, body
        return match.group(1)


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    folder = tmp_path / "mail"
    email.use_sender(email.FileSender("Courtside <no-reply@courtside.test>", folder))
    yield Mailbox(folder)
    email.use_sender(None)


async def _signed_in(client: httpx.AsyncClient, user: User) -> str:
    """Sign `client` in through the login form; the account page's CSRF token."""
    assert (await login(client, user.username)).status_code == 303
    return csrf_from((await client.get("/account")).text)


async def _me(client: httpx.AsyncClient, bearer_token: str) -> int:
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {bearer_token}"})
    return response.status_code


# --- forgot password ------------------------------------------------------------------------


async def _forgot(client: httpx.AsyncClient, address: str) -> httpx.Response:
    page = await client.get("/password/forgot")
    return await client.post(
        "/password/forgot", data={"email": address, "csrf_token": csrf_from(page.text)}
    )


async def test_forgot_password_answers_alike_and_mails_only_an_account(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox
) -> None:
    user = await make_user(session)
    known = await _forgot(client, user.email.upper())
    unknown = await _forgot(client, "nobody-here@example.test")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"] == "/password/forgot?done=sent"
    assert known.text == unknown.text
    after = await client.get(known.headers["location"])
    assert "If an account uses that address, we sent it a link" in after.text
    assert [m[0] for m in mailbox.messages()] == [user.email]
    invalid = await _forgot(client, "not an address")
    assert invalid.status_code == 422 and "Enter a valid e-mail address." in invalid.text


async def test_a_reset_link_sets_the_password_once_and_signs_out_everything(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox
) -> None:
    user = await make_user(session)
    old_token = token(user)
    assert await _me(client, old_token) == 200
    await _forgot(client, user.email)
    link = mailbox.link(user.email)

    page = await client.get(link)
    assert page.status_code == 200 and f"<strong>{user.username}</strong>" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    secret = link.split("token=")[1]
    form = {"token": secret, "csrf_token": csrf_from(page.text)}
    weak = await client.post(
        "/password/reset",
        data={**form, "new_password": "password1", "new_password_again": "password1"},
    )
    assert weak.status_code == 422  # a weak password does not use the link up
    differ = await client.post(
        "/password/reset", data={**form, "new_password": NEW_PASSWORD, "new_password_again": "x"}
    )
    assert differ.status_code == 422 and "differ" in differ.text
    done = await client.post(
        "/password/reset",
        data={**form, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/password/reset?done=1")

    assert await _me(client, old_token) == 401  # sessions and tokens issued before: revoked
    signed_in = await client.post(
        "/token", data={"username": user.username, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200
    old = await client.post("/token", data={"username": user.username, "password": PASSWORD})
    assert old.status_code == 401
    again = await client.post(
        "/password/reset",
        data={**form, "new_password": "another-one-9x", "new_password_again": "another-one-9x"},
    )
    assert again.status_code == 400 and "not valid any more" in again.text
    assert (await client.get(link)).status_code == 400
    actions = set(await session.scalars(select(AuditEvent.action)))
    assert {"user.password_reset_request", "user.password_reset"} <= actions


async def test_forgot_password_is_rate_limited_per_network_and_per_address(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox
) -> None:
    user = await make_user(session)
    statuses = [
        (await _forgot(client, user.email)).status_code
        for _ in range(account_limits.FORGOT_MAX_PER_IP)
    ]
    assert statuses == [303] * account_limits.FORGOT_MAX_PER_IP
    # Past the per-address limit the answer stayed the same, but nothing more was sent.
    assert len(mailbox.messages(user.email)) == account_limits.FORGOT_MAX_EMAILS_PER_ADDRESS
    limited = await _forgot(client, "someone-else@example.test")
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= account_limits.FORGOT_IP_WINDOW_SECONDS
    assert "Too many password reset requests" in limited.text


async def test_without_email_the_pages_say_so(
    client: httpx.AsyncClient, session: AsyncSession, settings_env: object
) -> None:
    settings_env(EMAIL_BACKEND="off")  # type: ignore[operator]
    user = await make_user(session)
    page = await client.get("/password/forgot")
    assert "This site sends no e-mail" in page.text and 'action="/password/forgot"' not in page.text
    csrf = await _signed_in(client, user)
    refused = await client.post(
        "/account/email",
        data={"csrf_token": csrf, "new_email": "new@example.test", "current_password": PASSWORD},
    )
    assert refused.status_code == 409 and "sends no e-mail" in refused.text


# --- change password and e-mail ------------------------------------------------------------


async def test_changing_the_password_needs_the_current_one_and_signs_out_the_others(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    other_session = token(user)
    csrf = await _signed_in(client, user)
    form = {"csrf_token": csrf, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    wrong = await client.post("/account/password", data={**form, "current_password": "nope-x"})
    assert wrong.status_code == 403 and "Your current password is not right." in wrong.text
    assert await _me(client, other_session) == 200
    done = await client.post("/account/password", data={**form, "current_password": PASSWORD})
    assert (done.status_code, done.headers["location"]) == (303, "/account?done=password")
    assert await _me(client, other_session) == 401
    page = await client.get("/account?done=password")  # this browser got a fresh session
    assert page.status_code == 200 and "Password changed." in page.text
    assert (
        await client.post("/token", data={"username": user.username, "password": NEW_PASSWORD})
    ).status_code == 200


async def test_a_new_address_counts_only_once_confirmed_from_its_inbox(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox
) -> None:
    user = await make_user(session)
    old_address = user.email
    csrf = await _signed_in(client, user)
    form = {"csrf_token": csrf, "new_email": "Moved@Example.test"}
    wrong = await client.post("/account/email", data={**form, "current_password": "nope-x"})
    assert wrong.status_code == 403 and mailbox.messages() == []
    asked = await client.post("/account/email", data={**form, "current_password": PASSWORD})
    assert (asked.status_code, asked.headers["location"]) == (303, "/account?done=email")
    await session.refresh(user)
    assert user.email == old_address  # not before the link is opened

    link = mailbox.link("moved@example.test")
    page = await client.get(link)  # opening the page changes nothing (mail scanners)
    await session.refresh(user)
    assert user.email == old_address and "moved@example.test" in page.text
    confirmed = await client.post(
        "/account/email/confirm",
        data={"token": link.split("token=")[1], "csrf_token": csrf_from(page.text)},
    )
    assert confirmed.headers["location"] == "/account/email/confirm?done=1"
    await session.refresh(user)
    assert user.email == "moved@example.test"
    assert any("was changed" in subject for _, subject, _ in mailbox.messages(old_address))
    reused = await client.post(
        "/account/email/confirm",
        data={"token": link.split("token=")[1], "csrf_token": csrf_from(page.text)},
    )
    assert reused.status_code == 400
    assert (await client.get("/v1/me", headers=user_headers(user))).json()["email"] == user.email


async def test_an_address_another_account_uses_is_confirmed_like_any_other(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox
) -> None:
    """Addresses may be shared (0012_email_not_unique): asking for one another account uses
    answers and mails exactly as for a free one, so it tells nothing, and its owner gets no
    e-mail about it."""
    owner = await make_user(session)
    user = await make_user(session)
    csrf = await _signed_in(client, user)
    free = await client.post(
        "/account/email",
        data={"csrf_token": csrf, "new_email": "free@example.test", "current_password": PASSWORD},
    )
    shared = await client.post(
        "/account/email",
        data={"csrf_token": csrf, "new_email": owner.email, "current_password": PASSWORD},
    )
    assert (shared.status_code, shared.headers["location"]) == (
        free.status_code,
        free.headers["location"],
    )
    (confirmation,) = mailbox.messages(owner.email)
    assert confirmation[1] == "Courtside: confirm your new e-mail address"
    assert user.username in confirmation[2] and "token=" in confirmation[2]
    link = mailbox.link(owner.email)
    page = await client.get(link)
    await client.post(
        "/account/email/confirm",
        data={"token": link.split("token=")[1], "csrf_token": csrf_from(page.text)},
    )
    await session.refresh(user)
    await session.refresh(owner)
    assert user.email == owner.email


async def test_forgot_password_for_a_shared_address_sends_each_account_its_own_link(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox
) -> None:
    first = await make_user(session)
    second = await make_user(session)
    second.email = first.email
    await session.commit()
    assert (await _forgot(client, first.email)).status_code == 303
    sent = mailbox.messages(first.email)
    assert len(sent) == 2
    named = {
        name for name in (first.username, second.username) for _, _, body in sent if name in body
    }
    assert named == {first.username, second.username}
    links = {body.split("token=")[1].split()[0] for _, _, body in sent}
    assert len(links) == 2, "each account gets its own link"


# --- delete the account ---------------------------------------------------------------------


async def test_a_deleted_account_cannot_sign_in_and_its_bets_stay_anonymised(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox, settings_env: object
) -> None:
    settings_env(LEADERBOARD_MIN_BETS="1")  # type: ignore[operator]
    user = await make_user(session)
    user.display_name, user.leaderboard_opt_in = "Sixth Man", True
    game = (await make_slate(session)).games[0]
    await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="home", stake_cents=1_000
    )
    game.status, game.home_score, game.away_score = "final", 110, 100
    await session.flush()
    await settlement.settle_games(session, [game.id])
    await session.commit()
    before = (await leaderboard.leaderboard(session)).entries
    assert [(e.name, e.profit_cents) for e in before] == [("Sixth Man", before[0].profit_cents)]
    old_token, username, address = token(user), user.username, user.email

    csrf = await _signed_in(client, user)
    unconfirmed = await client.post(
        "/account/delete", data={"csrf_token": csrf, "current_password": PASSWORD}
    )
    assert unconfirmed.status_code == 422
    wrong = await client.post(
        "/account/delete", data={"csrf_token": csrf, "current_password": "nope-x", "confirm": "yes"}
    )
    assert wrong.status_code == 403
    gone = await client.post(
        "/account/delete", data={"csrf_token": csrf, "current_password": PASSWORD, "confirm": "yes"}
    )
    assert (gone.status_code, gone.headers["location"]) == (303, "/account/deleted")
    assert 'courtside_session=""' in gone.headers["set-cookie"]

    assert await _me(client, old_token) == 401
    signin = await client.post("/token", data={"username": username, "password": PASSWORD})
    assert signin.status_code == 401
    await _forgot(client, address)
    assert mailbox.messages(address) == []
    after = (await leaderboard.leaderboard(session)).entries
    assert [(e.name, e.profit_cents) for e in after] == [("Former member", before[0].profit_cents)]
    assert await session.scalar(select(func.count(Bet.id)).where(Bet.user_id == user.id)) == 1
    assert await session.scalar(select(func.count(Notification.id))) == 0
    deletion = await session.scalar(select(AuditEvent).where(AuditEvent.action == "user.delete"))
    assert deletion is not None and deletion.details == {"username": username}
    # The name and the address are free again.
    again = await client.post(
        "/v1/auth/signup", json={"username": username, "email": address, "password": NEW_PASSWORD}
    )
    assert again.status_code == 201


async def test_an_admin_cannot_delete_their_own_account(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, role="Admin")
    csrf = await _signed_in(client, admin)
    refused = await client.post(
        "/account/delete", data={"csrf_token": csrf, "current_password": PASSWORD, "confirm": "yes"}
    )
    assert refused.status_code == 409
    await session.refresh(admin)
    assert admin.deleted_at is None and admin.is_active


# --- reset the bankroll ---------------------------------------------------------------------


async def test_a_bankroll_reset_is_recorded_and_on_the_record(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    first, second = (await make_slate(session, games=2)).games
    for game in (first, second):
        await placing.place_bet(
            session, user_id=user.id, game_id=game.id, side="away", stake_cents=30_000
        )
    first.status, first.home_score, first.away_score = "final", 110, 100
    await session.flush()
    await settlement.settle_games(session, [first.id])
    await session.commit()
    csrf = await _signed_in(client, user)
    form = {"csrf_token": csrf, "confirm": "yes"}
    assert (
        await client.post("/account/bankroll/reset", data={"csrf_token": csrf})
    ).status_code == 422
    while_open = await client.post("/account/bankroll/reset", data=form)
    assert while_open.status_code == 409 and "1 open bet" in while_open.text

    second.status, second.home_score, second.away_score = "final", 120, 100
    await session.flush()
    await settlement.settle_games(session, [second.id])
    await session.commit()
    start = get_betting_settings().starting_bankroll_cents
    done = await client.post("/account/bankroll/reset", data=form)
    assert (done.status_code, done.headers["location"]) == (303, "/account?done=bankroll")
    wallet = await session.get(Wallet, user.id, populate_existing=True)
    assert wallet is not None and wallet.balance_cents == start
    (reset,) = await session.scalars(select(BankrollReset))
    assert (reset.balance_before_cents, reset.balance_after_cents) == (start - 60_000, start)
    record = await client.get("/record")
    assert 'data-testid="bankroll-resets"' in record.text
    assert "Bankroll reset on" in record.text and "400.00 → 1,000.00" in record.text
    assert "0-2" in record.text  # the bets before the reset stay on the record
    with pytest.raises(NothingAdded, match="bankroll reset"):
        await seed_bet_history(session, username=user.username)  # not an empty account


# --- CSRF on every form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/account/password",
        "/account/email",
        "/account/bankroll/reset",
        "/account/delete",
        "/password/forgot",
        "/password/reset",
        "/account/email/confirm",
    ],
)
async def test_every_account_form_needs_its_csrf_token(
    client: httpx.AsyncClient, session: AsyncSession, path: str
) -> None:
    user = await make_user(session)
    await _signed_in(client, user)
    refused = await client.post(path, data={"current_password": PASSWORD, "confirm": "yes"})
    assert refused.status_code == 403
    await session.refresh(user)
    assert user.deleted_at is None


async def test_a_reset_lifts_the_sign_in_hold_others_caused(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox, settings_env: object
) -> None:
    settings_env(LOGIN_MAX_FAILURES_PER_USER="3")  # type: ignore[operator]
    user = await make_user(session)
    for _ in range(3):
        guess = await client.post("/token", data={"username": user.username, "password": "x1"})
        assert guess.status_code == 401
    held = await client.post("/token", data={"username": user.username, "password": PASSWORD})
    assert held.status_code == 429
    await _forgot(client, user.email)
    link = mailbox.link(user.email)
    page = await client.get(link)
    await client.post(
        "/password/reset",
        data={
            "token": link.split("token=")[1],
            "csrf_token": csrf_from(page.text),
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    signed_in = await client.post(
        "/token", data={"username": user.username, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200
