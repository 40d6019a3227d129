"""`/static/...`: the stylesheet, the vendored Swagger UI and other files served as they are."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def static_files() -> Mount:
    return Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static")
