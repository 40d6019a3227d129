"""Failures sent on purpose by a stranger never lock the owner out of their own browser.

The limits (small here): 3 failures per username and client network, 6 per username from
unknown devices over all networks, 3 per known device (`auth.devices`: the cookie a
successful sign-in sets), 5 per network. Each client below has an address of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from courtside.auth import devices
from courtside.auth.cookies import DEVICE_COOKIE

from .helpers import PASSWORD, make_user

WRONG = "wrong-password-1"


@pytest.fixture
def small_limits(settings_env):
    settings_env(
        LOGIN_MAX_FAILURES_PER_USER="3",
        LOGIN_MAX_FAILURES_PER_USER_ANYWHERE="6",
        LOGIN_MAX_FAILURES_PER_IP="5",
        LOGIN_FAILURE_WINDOW_SECONDS="120",
    )


@pytest.fixture
def client_at(app, small_limits) -> Callable[[str], object]:
    """An httpx client on the test's app whose requests come from `ip`."""

    @asynccontextmanager
    async def make(ip: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http

    return make


async def _token(http: httpx.AsyncClient, username: str, password: str = WRONG) -> int:
    response = await http.post("/token", data={"username": username, "password": password})
    return response.status_code


async def test_a_stranger_locks_out_only_their_own_network(session, client_at) -> None:
    owner = await make_user(session)
    async with client_at("198.51.100.7") as stranger:
        assert [await _token(stranger, owner.username) for _ in range(4)] == [401] * 3 + [429]
        assert await _token(stranger, owner.username, PASSWORD) == 429  # there, even the right one
    async with client_at("203.0.113.20") as home:
        assert await _token(home, owner.username, PASSWORD) == 200


async def test_strangers_on_many_networks_cannot_lock_out_a_known_device(
    session, client_at
) -> None:
    owner = await make_user(session)
    async with client_at("203.0.113.20") as home:
        assert await _token(home, owner.username, PASSWORD) == 200
        assert devices.known_device(home.cookies[DEVICE_COOKIE], owner.username)
        for n in range(3):  # 2 failures each from three networks: 6, the limit anywhere
            async with client_at(f"198.51.100.{n}") as stranger:
                assert [await _token(stranger, owner.username) for _ in range(2)] == [401, 401]
        async with client_at("192.0.2.99") as another:
            assert await _token(another, owner.username) == 429  # unknown devices: locked
            assert await _token(another, owner.username, PASSWORD) == 429
        # The owner's browser is a known device: the right password still signs in.
        assert await _token(home, owner.username, PASSWORD) == 200


async def test_a_known_device_has_a_budget_of_its_own(session, client_at) -> None:
    owner = await make_user(session)
    async with client_at("203.0.113.20") as home:
        assert await _token(home, owner.username, PASSWORD) == 200
        assert [await _token(home, owner.username) for _ in range(4)] == [401] * 3 + [429]
        assert await _token(home, owner.username, PASSWORD) == 429
    async with client_at("203.0.113.20") as same_network_no_cookie:
        # The network's own budget was not touched by the device's failures.
        assert await _token(same_network_no_cookie, owner.username, PASSWORD) == 200


@pytest.mark.parametrize("kind", ["borrowed", "forged", "junk"])
async def test_a_forged_or_borrowed_device_cookie_counts_as_unknown(
    session, client_at, kind: str
) -> None:
    owner = await make_user(session)
    other = await make_user(session)
    borrowed = devices.issue(other.username)  # genuine, but earned for another username
    device_id, mac = borrowed.split(".")
    cookie = {"borrowed": borrowed, "forged": f"{device_id}.{'0' * len(mac)}", "junk": "x"}[kind]
    assert devices.known_device(cookie, owner.username) is None
    async with client_at("198.51.100.7") as stranger:
        stranger.cookies.set(DEVICE_COOKIE, cookie)
        assert [await _token(stranger, owner.username) for _ in range(4)] == [401] * 3 + [429]


async def test_wrong_current_passwords_do_not_lock_the_owner_out(session, client_at) -> None:
    owner = await make_user(session)
    body = {"username": owner.username, "new_password": "another long passphrase"}
    async with client_at("198.51.100.7") as stranger:
        statuses = [
            (
                await stranger.post("/v1/auth/password", json={**body, "current_password": WRONG})
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [401] * 3 + [429]
    async with client_at("203.0.113.20") as home:
        changed = await home.post("/v1/auth/password", json={**body, "current_password": PASSWORD})
        assert changed.status_code == 204, changed.text
        assert devices.known_device(home.cookies[DEVICE_COOKIE], owner.username)


async def test_the_web_login_makes_a_known_device(session, client_at) -> None:
    owner = await make_user(session)
    async with client_at("203.0.113.20") as browser:
        page = await browser.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": owner.username, "password": PASSWORD, "csrf_token": csrf}
        assert (await browser.post("/login", data=form)).status_code == 303
        assert devices.known_device(browser.cookies[DEVICE_COOKIE], owner.username)
