"""Failed-login limiting per username and per client IP.

Counters live in the cache backend (Redis: shared by every Lambda instance) with a fixed
window of `LOGIN_FAILURE_WINDOW_SECONDS` starting at the first failure. When Redis fails,
the cache's in-process store takes over (`Cache.run`), so an attacker cannot lift the limit
by knocking Redis over; it is per instance, which is weaker but never open.

The username counter is a reservation: every attempt increments it atomically *before*
the password is checked and a success deletes it, so concurrent guesses cannot slip past
the limit while hashes are being verified. The IP counter counts failures only (an office
behind one NAT signs in many times), checked before and incremented after.
A successful login clears the username's counter, not the IP's: a password-spraying
client that knows one valid password must not reset its own budget.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from courtside.cache import get_cache
from courtside.errors import ApiError
from courtside.settings import get_app_settings, get_auth_settings


def client_ip(request: Request) -> str:
    """The viewer's IP. Behind CloudFront the socket peer is CloudFront, so use what it adds.

    `CloudFront-Viewer-Address` (`ip:port`, set by CloudFront, cannot be forged through it)
    when forwarded; else the `X-Forwarded-For` entry CloudFront appended: the right-most one,
    after dropping trailing copies of the socket peer (the Function URL may append the
    CloudFront address it saw). Entries further left come from the client and are ignored.
    Outside CloudFront, forwarding headers are ignored (a client could forge them).
    """
    peer = request.client.host if request.client else "unknown"
    if get_app_settings().behind_cloudfront:
        viewer = request.headers.get("cloudfront-viewer-address")
        if viewer and ":" in viewer:
            return viewer.rsplit(":", 1)[0].strip("[]")
        chain = [entry.strip() for entry in request.headers.get("x-forwarded-for", "").split(",")]
        while chain and chain[-1] in ("", peer):
            chain.pop()
        if chain:
            return chain[-1]
    return peer


def _user_key(username: str) -> str:
    return get_cache().key("login-fail", "user", username.strip().lower()[:64])


def ip_bucket(ip: str) -> str:
    """IPv4 addresses count alone; IPv6 ones by /64 (one subscriber usually holds a /64,
    so rotating through its addresses must not multiply the budget)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _ip_key(ip: str) -> str:
    return get_cache().key("login-fail", "ip", ip_bucket(ip))


async def _get(key: str) -> int:
    raw = await get_cache().run("login limiter read", lambda backend: backend.get(key))
    return int(raw) if raw is not None else 0


async def _ttl(key: str) -> int:
    return await get_cache().run("login limiter ttl", lambda backend: backend.ttl(key))


async def _incr(key: str, window: int) -> int:
    return await get_cache().run("login limiter write", lambda backend: backend.incr(key, window))


async def _delete(key: str) -> None:
    cache = get_cache()
    await cache.local.delete(key)
    await cache.run("login limiter delete", lambda backend: backend.delete(key))


async def _too_many(
    key: str,
    *,
    window: int | None = None,
    code: str = "too_many_login_attempts",
    message: str = "Too many failed sign-in attempts. Try again later.",
) -> ApiError:
    window = window or get_auth_settings().login_failure_window_seconds
    remaining = await _ttl(key)
    retry_after = remaining if 0 < remaining <= window else window
    return ApiError(
        429,
        code,
        message,
        details={"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


async def begin_attempt(username: str, ip: str) -> None:
    """Count this attempt; raise 429 with `Retry-After` if the username or IP is over its limit.

    Call before verifying the password; then `login_failed` or `login_succeeded`.
    """
    settings = get_auth_settings()
    ip_key = _ip_key(ip)
    if await _get(ip_key) >= settings.login_max_failures_per_ip:
        raise await _too_many(ip_key)
    user_key = _user_key(username)
    attempts = await _incr(user_key, settings.login_failure_window_seconds)
    if attempts > settings.login_max_failures_per_user:
        raise await _too_many(user_key)


async def login_failed(ip: str) -> None:
    await _incr(_ip_key(ip), get_auth_settings().login_failure_window_seconds)


async def login_succeeded(username: str) -> None:
    await _delete(_user_key(username))


async def signup_attempt(ip: str) -> None:
    """Count a sign-up from this client IP; 429 beyond `SIGNUP_MAX_PER_IP` per window.

    Every attempt counts, successful or not: each one costs an Argon2id hash, and accounts
    are what a spammer wants.
    """
    settings = get_auth_settings()
    key = get_cache().key("signup", "ip", ip_bucket(ip))
    attempts = await _incr(key, settings.signup_window_seconds)
    if attempts > settings.signup_max_per_ip:
        raise await _too_many(
            key,
            window=settings.signup_window_seconds,
            code="too_many_signups",
            message="Too many sign-ups from your network. Try again later.",
        )
