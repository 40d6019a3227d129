"""Failed-login limiting per username and per client IP: 429 + Retry-After, then recovery."""

import httpx
import pytest
from redis.asyncio import Redis

from courtside import cache as cache_module
from courtside.auth import ratelimit

from .helpers import PASSWORD, make_user


@pytest.fixture
def small_limits(settings_env):
    settings_env(
        LOGIN_MAX_FAILURES_PER_USER="3",
        LOGIN_MAX_FAILURES_PER_USER_ANYWHERE="6",
        LOGIN_MAX_FAILURES_PER_IP="5",
        LOGIN_FAILURE_WINDOW_SECONDS="120",
    )


async def _login(
    client: httpx.AsyncClient, username: str, password: str = "wrong-password-1"
) -> httpx.Response:
    return await client.post("/token", data={"username": username, "password": password})


async def test_per_username_limit_then_recovery(client, session, cache, redis_client, small_limits):
    user = await make_user(session)
    for _ in range(3):
        assert (await _login(client, user.username)).status_code == 401
    blocked = await _login(client, user.username, PASSWORD)  # even the right password
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_login_attempts"
    retry_after = int(blocked.headers["retry-after"])
    assert 0 < retry_after <= 120
    # The window ends (simulated by expiring the counter instead of waiting two minutes).
    await redis_client.delete(cache.key("login-fail", "user", user.username, "net", "127.0.0.1"))
    assert (await _login(client, user.username, PASSWORD)).status_code == 200


async def test_success_resets_the_username_counter(client, session, small_limits):
    user = await make_user(session)
    for _ in range(2):
        assert (await _login(client, user.username)).status_code == 401
    assert (await _login(client, user.username, PASSWORD)).status_code == 200
    for _ in range(3):
        assert (await _login(client, user.username)).status_code == 401
    assert (await _login(client, user.username)).status_code == 429


async def test_per_ip_limit_across_usernames(client, session, small_limits):
    for n in range(5):
        assert (await _login(client, f"nobody{n}")).status_code == 401
    response = await _login(client, "someone-else")
    assert response.status_code == 429
    assert "retry-after" in response.headers


async def test_limits_are_per_username(client, session, small_limits):
    first = await make_user(session)
    second = await make_user(session)
    for _ in range(3):
        await _login(client, first.username)
    assert (await _login(client, first.username, PASSWORD)).status_code == 429
    assert (await _login(client, second.username, PASSWORD)).status_code == 200


async def test_unknown_usernames_are_limited_too(client, small_limits):
    for _ in range(3):
        assert (await _login(client, "ghost")).status_code == 401
    assert (await _login(client, "ghost")).status_code == 429


async def test_falls_back_to_process_memory_when_redis_is_down(client, session, small_limits):
    """Redis unreachable (nothing listens on port 1): the limit still holds, no 500."""
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    broken = cache_module.Cache(
        cache_module.RedisBackend(dead), prefix="courtside-test-dead", retry_after_seconds=5
    )
    cache_module.use_cache(broken)
    try:
        user = await make_user(session)
        for _ in range(3):
            assert (await _login(client, user.username)).status_code == 401
        assert (await _login(client, user.username, PASSWORD)).status_code == 429
    finally:
        await dead.aclose()


async def test_web_login_is_limited_too(client, session, small_limits):
    user = await make_user(session)
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": user.username, "password": "wrong-password-1", "csrf_token": token}
    for _ in range(3):
        assert (await client.post("/login", data=form)).status_code == 401
    response = await client.post("/login", data={**form, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text
    assert "retry-after" in response.headers


async def test_client_ip_behind_cloudfront(settings_env):
    from starlette.requests import Request

    def request(headers: dict[str, str]) -> Request:
        return Request(
            {
                "type": "http",
                "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
                "client": ("10.0.0.1", 1234),
            }
        )

    spoofed = {"X-Forwarded-For": "1.2.3.4", "CloudFront-Viewer-Address": "5.6.7.8:443"}
    assert ratelimit.client_ip(request(spoofed)) == "10.0.0.1"
    settings_env(BEHIND_CLOUDFRONT="true")
    assert ratelimit.client_ip(request(spoofed)) == "5.6.7.8"
    assert ratelimit.client_ip(request({"X-Forwarded-For": "9.9.9.9, 8.8.8.8"})) == "8.8.8.8"
    appended_peer = {"X-Forwarded-For": "9.9.9.9, 8.8.8.8, 10.0.0.1"}
    assert ratelimit.client_ip(request(appended_peer)) == "8.8.8.8"
    assert ratelimit.client_ip(request({})) == "10.0.0.1"
    v6 = {"CloudFront-Viewer-Address": "2001:db8::1:443"}
    assert ratelimit.client_ip(request(v6)) == "2001:db8::1"


def test_ipv6_addresses_share_their_64():
    assert ratelimit.ip_bucket("2001:db8:1:2:aaaa::1") == ratelimit.ip_bucket("2001:db8:1:2::ffff")
    assert ratelimit.ip_bucket("2001:db8:1:2::1") != ratelimit.ip_bucket("2001:db8:1:3::1")
    assert ratelimit.ip_bucket("192.0.2.1") != ratelimit.ip_bucket("192.0.2.2")
    assert ratelimit.ip_bucket("unknown") == "unknown"


async def test_redis_dying_mid_attack_keeps_the_limit(client, session, small_limits, own_redis):
    server = own_redis
    redis = Redis.from_url(server.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        await _dying_mid_attack(client, session, server, redis)
    finally:
        await redis.aclose()


async def _dying_mid_attack(client, session, server, redis):
    cache = cache_module.Cache(
        cache_module.RedisBackend(redis), prefix="courtside-test-fault", retry_after_seconds=5
    )
    cache_module.use_cache(cache)
    user = await make_user(session)
    for _ in range(2):
        assert (await _login(client, user.username)).status_code == 401
    key = f"courtside-test-fault:login-fail:user:{user.username}:net:127.0.0.1"
    assert await redis.get(key) == b"2"
    server.kill()
    statuses = [(await _login(client, user.username)).status_code for _ in range(4)]
    assert 500 not in statuses
    assert statuses[-1] == 429  # the in-process counter took over
    assert not cache.available  # the circuit is open: no timeout per request
