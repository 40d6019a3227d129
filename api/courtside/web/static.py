"""`/static/...`: the stylesheet, the vendored Swagger UI and other files served as they are."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def static_files() -> Mount:
    return Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static")


@lru_cache(maxsize=1)
def favicon_bytes() -> bytes:
    """`static/favicon.ico`: a 32x32 basketball (a PNG inside an ICO container)."""
    return (STATIC_DIR / "favicon.ico").read_bytes()
