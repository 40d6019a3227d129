"""Enumerate every route of an app, including those of included routers.

FastAPI 0.165 keeps an included router as one `_IncludedRouter` entry in `app.router.routes`
(with `original_router` and `include_context.prefix`) instead of copying its routes, so
`app.routes` is not flat. This walks the tree; `openapi_operations` is an independent
listing used to check that the walk misses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import BaseRoute, Mount

IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
"""Starlette adds HEAD to GET routes; it follows the GET route's rule."""


def _walk(routes: Iterable[BaseRoute], prefix: str) -> Iterator[tuple[str, str]]:
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            context = route.include_context  # type: ignore[attr-defined]
            yield from _walk(original.routes, prefix + context.prefix)
        elif isinstance(route, Mount):
            yield ("MOUNT", prefix + route.path)
        else:
            path = getattr(route, "path", None)
            methods = getattr(route, "methods", None)
            if path is None or not methods:
                raise AssertionError(f"cannot classify route {route!r}")
            for method in sorted(set(methods) - IGNORED_METHODS):
                yield (method, prefix + path)


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every `(METHOD, path)` the app serves (mounts as `("MOUNT", path)`), sorted."""
    app.load_all()
    return sorted(set(_walk(app.router.routes, "")))


def openapi_operations(app: Any) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
