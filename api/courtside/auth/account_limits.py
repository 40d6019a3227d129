"""Limits on "forgot password": per client IP (a 429), and per address (silently).

Each request may send an e-mail, so both are bounded: `FORGOT_MAX_PER_IP` requests per
`FORGOT_IP_WINDOW_SECONDS` from one network (IPv6 by /64, as for sign-in), answered with 429
and `Retry-After` beyond; and `FORGOT_MAX_EMAILS_PER_ADDRESS` e-mails per
`FORGOT_ADDRESS_WINDOW_SECONDS` to one address, beyond which the page answers as always but
sends nothing, so nobody can flood someone's inbox, and the answer still says nothing about
whether the address is registered (every address is counted, registered or not). Counters
live where the login limits do (`Cache.run`: Redis, or in-process while it is down).
"""

from __future__ import annotations

import hashlib

from courtside.auth.ratelimit import ip_bucket
from courtside.cache import get_cache
from courtside.errors import ApiError

FORGOT_MAX_PER_IP = 5
FORGOT_IP_WINDOW_SECONDS = 900
FORGOT_MAX_EMAILS_PER_ADDRESS = 3
FORGOT_ADDRESS_WINDOW_SECONDS = 3600


async def _count(key: str, window: int) -> int:
    return await get_cache().run("account limiter write", lambda backend: backend.incr(key, window))


async def forgot_password_attempt(ip: str) -> None:
    """Count a request from this client; 429 with `Retry-After` beyond the limit."""
    key = get_cache().key("forgot", "ip", ip_bucket(ip))
    if await _count(key, FORGOT_IP_WINDOW_SECONDS) <= FORGOT_MAX_PER_IP:
        return
    remaining = await get_cache().run("account limiter ttl", lambda backend: backend.ttl(key))
    retry_after = (
        remaining if 0 < remaining <= FORGOT_IP_WINDOW_SECONDS else FORGOT_IP_WINDOW_SECONDS
    )
    raise ApiError(
        429,
        "too_many_requests",
        "Too many password reset requests from your network. Try again later.",
        details={"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


async def may_email(address: str) -> bool:
    """Count an e-mail to this address; False beyond the limit (send nothing then)."""
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]  # no address in the cache
    key = get_cache().key("forgot", "address", digest)
    return await _count(key, FORGOT_ADDRESS_WINDOW_SECONDS) <= FORGOT_MAX_EMAILS_PER_ADDRESS
