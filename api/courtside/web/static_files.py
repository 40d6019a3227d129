"""Static files under content-hashed URLs, cacheable forever.

Templates write ``{{ static_url('app.css') }}``, which becomes ``/static/app.<hash>.css`` (the
first 12 hex digits of the file's SHA-256). A changed file gets a new URL, so the old one may be
cached for a year: `HashedStaticFiles` serves a hashed URL with
``Cache-Control: public, max-age=31536000, immutable`` when the hash is the file's. A hash that
is not (an old page asking for the previous version, e.g. during a canary release) still gets the
current file, but with ``no-cache`` so no cache keeps it under that name. Unhashed URLs (the API
docs' vendored Swagger UI) are served with a short max-age. HTML is never cached at the edge
(CloudFront's default behaviour); see cdn/infrastructure.py.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import anyio.to_thread
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_PREFIX = "/static/"
HASH_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
UNHASHED = "public, max-age=300"
STALE_HASH = "no-cache"
_HASHED = re.compile(
    rf"(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[A-Za-z0-9]+)"
)


@lru_cache(maxsize=256)
def content_hash(relative_path: str) -> str:
    """The first hex digits of the SHA-256 of a file under `STATIC_DIR` (read once)."""
    return hashlib.sha256((STATIC_DIR / relative_path).read_bytes()).hexdigest()[:HASH_LENGTH]


@lru_cache(maxsize=256)
def static_url(relative_path: str) -> str:
    """``/static/<name>.<hash>.<ext>`` for a file under `STATIC_DIR` (a Jinja global).

    Kept per name like the hash it is made of (`content_hash`, read once per process):
    every page asks for the stylesheet's, and building it through `pathlib` each time was
    ~1 % of a warm game page in cProfile (issue 23)."""
    path = Path(relative_path)
    hashed = path.with_name(f"{path.stem}.{content_hash(relative_path)}{path.suffix}")
    return STATIC_PREFIX + hashed.as_posix()


class HashedStaticFiles(StaticFiles):
    """`StaticFiles` that resolves content-hashed names and says how long each may be cached."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        match = _HASHED.fullmatch(path)
        if match is None or await anyio.to_thread.run_sync((STATIC_DIR / path).is_file):
            response = await super().get_response(path, scope)
            return self._cache(response, UNHASHED)
        real = match["stem"] + match["suffix"]
        response = await super().get_response(real, scope)
        current = await anyio.to_thread.run_sync(content_hash, real)
        return self._cache(response, IMMUTABLE if match["hash"] == current else STALE_HASH)

    @staticmethod
    def _cache(response: Response, cache_control: str) -> Response:
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = cache_control
        return response


def static_files() -> Mount:
    """The `/static` mount of the web route group."""
    return Mount("/static", app=HashedStaticFiles(directory=STATIC_DIR), name="static")


@lru_cache(maxsize=1)
def favicon_bytes() -> bytes:
    """`static/favicon.ico`: a 32x32 basketball (a PNG inside an ICO container)."""
    return (STATIC_DIR / "favicon.ico").read_bytes()
