"""Cached public GETs: the body is cached by namespace, served with a strong ETag and
`Cache-Control` so the CDN can cache it too; `If-None-Match` gets a 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from courtside import driver_reads
from courtside.cache import get_cache
from courtside.driver_reads import NOT_READ, NotReadType
from courtside.settings import get_cache_settings

if TYPE_CHECKING:  # the database layer loads on the first miss (`cached_json`)
    from sqlalchemy.ext.asyncio import AsyncConnection

REFERENCE = "reference"
"""Namespace of teams, players and injuries: changes when the pipeline sends rosters."""
SCHEDULE = "schedule"
"""Namespace of games, odds, predictions and standings: changes with every result or line."""
MARKETS_NAMESPACE = "markets"
"""Namespace of the pages' markets (`closing_line.shown_markets`, not a public GET): changes
with every line, and with a game's tip-off time (the closing line's cut-off)."""
RECORDS = "records"
"""Namespace of what the record page reads of a user (`record_reads.record_page_reads`: their
bets with their games, teams and closing quotes, and their bankroll resets): changes with
every bet placed, cancelled or settled, every reset, and with games and odds (one namespace
for every user: any of these writes makes every user's entries stale)."""
ODDS_HISTORY = "odds-history"
"""Namespace of a game page's odds history (`board.odds_history_read`): changes with every
line. Its own entry budget: a crawler reading every game's page fills it, not the board's."""

BOARD_SLATES = "board-slates"
"""Namespace of the board's games (`page_slates.slate_read`: a window's games with their teams and
newest predictions): changes with every write of teams, games or predictions. Its own entry
budget, like the markets': a crawler paging the board through every day and team fills it."""

_ETAG_SEPARATOR = b"\n"


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates


def cache_control() -> str:
    settings = get_cache_settings()
    return (
        f"public, max-age={settings.cdn_max_age_seconds}, s-maxage={settings.cdn_s_maxage_seconds}"
    )


class CachedResponse(Response):
    """A public JSON body (or its 304) with headers already encoded: built on every cached
    GET, so it skips `Response`'s per-header encoding."""

    def __init__(self, body: bytes, status_code: int, headers: list[tuple[bytes, bytes]]):
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = headers


_JSON = (b"content-type", b"application/json")
_X_CACHE = {True: (b"x-cache", b"hit"), False: (b"x-cache", b"miss")}


def _response(request: Request, body: bytes, etag: bytes, hit: bool) -> Response:
    headers = [(b"etag", etag), (b"cache-control", cache_control().encode()), _X_CACHE[hit]]
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _matches(if_none_match, etag.decode()):
        return CachedResponse(b"", 304, headers)
    headers += [_JSON, (b"content-length", str(len(body)).encode())]
    return CachedResponse(body, 200, headers)


async def cached_json(
    request: Request,
    *,
    namespace: str,
    key: str,
    ttl_seconds: int,
    build: Callable[[AsyncConnection], Awaitable[BaseModel | bytes]],
    driver: bool = False,
) -> Response:
    """Serve `build(connection)`'s JSON from the cache when present, else build, cache, serve.
    `build` returns a model, or its JSON already written (bytes: served as they are).

    A database connection is taken only on a miss, so a hit costs none; a miss reads a
    replica that has replayed past the entry's version when one is configured, else the
    writer (`read_replica.read_public`). `key`
    must capture every input of `build` and nothing else: it is built from the route's
    *validated* parameters (resolved defaults included, e.g. today's date), never from the
    raw query string, so parameters a route does not read can neither bypass the cache nor
    fill it. Nothing of the database layer is imported before the first miss.

    `driver=True`: `build` reads only named statements (`courtside.prepared`), so a miss
    before the database layer has loaded may be read without it (`courtside.driver_reads`).
    """

    async def build_entry(version: bytes | None) -> bytes:
        built: BaseModel | bytes | NotReadType = NOT_READ
        if driver:
            built = await driver_reads.read(build)  # type: ignore[arg-type]
        if built is NOT_READ:
            # lazy: the database layer (SQLAlchemy, the driver, the engine) loads on the
            # first miss, so a cold start the cache answers imports none of it (issue 23)
            from courtside import read_replica

            built = await read_replica.read_public(build, version)
        assert not isinstance(built, NotReadType)
        body = built if isinstance(built, bytes) else built.model_dump_json().encode()
        return etag_for(body).encode() + _ETAG_SEPARATOR + body

    entry, hit = await get_cache().get_or_fill(namespace, key, ttl_seconds, build_entry)
    etag, _, body = entry.partition(_ETAG_SEPARATOR)
    return _response(request, body, etag, hit)
