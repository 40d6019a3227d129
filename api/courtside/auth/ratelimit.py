"""Failed-login limiting that a stranger cannot turn against the account's owner.

Three budgets per `LOGIN_FAILURE_WINDOW_SECONDS` (a fixed window starting at the first
failure), all in the cache backend (Redis: shared by every Lambda instance):

- **per username and client network** (`LOGIN_MAX_FAILURES_PER_USER`; IPv6 counts per
  /64): a guesser is stopped after a few tries, but only where it guesses from;
- **per username from unknown devices, everywhere together**
  (`LOGIN_MAX_FAILURES_PER_USER_ANYWHERE`, ten times the first by default): a guesser with
  many addresses is stopped too, but a **known device** (`auth.devices`: a signed cookie
  from an earlier sign-in as that username) is not counted there and passes with the right
  password; it has a budget of its own (`LOGIN_MAX_FAILURES_PER_USER` per device);
- **per client network** (`LOGIN_MAX_FAILURES_PER_IP`): password spraying over usernames.

So failures sent on purpose lock out the stranger's network, and at worst (from many
networks) the owner's unknown devices; never the owner's own browser. The wrong current
password of a password change counts like a failed sign-in (it is one).

The username budgets are reservations: every attempt increments them atomically *before*
the password is checked and a success deletes them, so concurrent guesses cannot slip past
the limit while hashes are being verified. The IP counter counts failures only (an office
behind one NAT signs in many times), checked before and incremented after; a success does
not clear it (a password-spraying client that knows one valid password must not reset its
own budget). When Redis fails, the cache's in-process store takes over (`Cache.run`), so an
attacker cannot lift the limit by knocking Redis over; it is per instance, which is weaker
but never open.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from starlette.requests import Request

from courtside.auth.devices import known_device, normalized_username
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


def _user_key(username: str, *scope: str) -> str:
    return get_cache().key("login-fail", "user", normalized_username(username), *scope)


def _attempt_keys(username: str, ip: str, device_id: str | None) -> list[tuple[str, int]]:
    """The username budgets this attempt draws on, with their limits (see the module doc)."""
    settings = get_auth_settings()
    if device_id is not None:
        return [(_user_key(username, "device", device_id), settings.login_max_failures_per_user)]
    return [
        (_user_key(username, "net", ip_bucket(ip)), settings.login_max_failures_per_user),
        (_user_key(username, "anywhere"), settings.login_max_failures_per_user_anywhere),
    ]


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


@dataclass(frozen=True)
class Attempt:
    """A counted sign-in attempt; report its outcome with `failed` or `succeeded`."""

    ip: str
    user_keys: tuple[str, ...]

    async def failed(self) -> None:
        await _incr(_ip_key(self.ip), get_auth_settings().login_failure_window_seconds)

    async def succeeded(self) -> None:
        for key in self.user_keys:
            await _delete(key)


async def begin_attempt(username: str, ip: str, device_cookie: str | None = None) -> Attempt:
    """Count this attempt; raise 429 with `Retry-After` if a budget it draws on is spent.

    Call before verifying the password; then the attempt's `failed` or `succeeded`.
    `device_cookie` is the request's known-device cookie, if any (`auth.devices`).
    """
    settings = get_auth_settings()
    ip_key = _ip_key(ip)
    if await _get(ip_key) >= settings.login_max_failures_per_ip:
        raise await _too_many(ip_key)
    keys = _attempt_keys(username, ip, known_device(device_cookie, username))
    for key, limit in keys:
        if await _incr(key, settings.login_failure_window_seconds) > limit:
            raise await _too_many(key)
    return Attempt(ip, tuple(key for key, _ in keys))


async def lift_holds(username: str, ip: str) -> None:
    """Clear the username budgets that can hold the owner back where they are: the one of
    their network and the one shared by unknown devices (a password reset through the
    e-mailed link proves the address: others' failed guesses no longer count against it).
    Other networks' budgets stay: they hold back only those networks."""
    for key, _limit in _attempt_keys(username, ip, None):
        await _delete(key)


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
