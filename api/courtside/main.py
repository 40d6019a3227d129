"""The ASGI app. `create_app()` builds it; `app` is what uvicorn and the Lambda handler serve.

Building the app touches no database, cache or secret: those are created on first use. It
registers no route either: each route group (`courtside.route_groups`) is imported and added
the first time a request for one of its paths arrives, so a cold start pays only for the
group its first request needs. The OpenAPI document loads every group first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from courtside import cache, db
from courtside.auth.config import check_auth_settings
from courtside.edge import Edge
from courtside.errors import install_error_handlers
from courtside.observability import configure_logging
from courtside.route_groups import GROUPS, RouteGroup, group
from courtside.settings import (
    get_app_settings,
    get_auth_settings,
    get_database_settings,
    get_ingest_settings,
    on_lambda,
)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Under uvicorn: release connections on shutdown. (Lambda runs with lifespan off.)"""
    yield
    await db.dispose_engine()
    await cache.get_cache().close()
    cache.use_cache(None)


class CourtsideApp(FastAPI):
    """FastAPI whose route groups are registered on first use (see the module docstring)."""

    def __init__(self, *, groups: Iterable[RouteGroup], edge: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self._pending: list[RouteGroup] = list(groups)
        self._pending_prefixes: tuple[str, ...] = ()
        self._pending_paths: frozenset[str] = frozenset()
        self._index_pending()
        self._edge_options = edge

    def _index_pending(self) -> None:
        """One `startswith` per request decides whether any pending group claims the path."""
        self._pending_prefixes = tuple(p for g in self._pending for p in g.prefixes)
        self._pending_paths = frozenset(p for g in self._pending for p in g.paths)

    @property
    def loaded_groups(self) -> list[str]:
        return [g.name for g in GROUPS if g not in self._pending]

    def load_groups_for(self, path: str) -> None:
        """Register every pending group that claims `path` (none: the path is nobody's)."""
        for candidate in [g for g in self._pending if g.claims(path)]:
            self._register(candidate)

    def load_group(self, name: str) -> None:
        candidate = group(name)
        if candidate in self._pending:
            self._register(candidate)

    def load_all(self) -> None:
        for candidate in list(self._pending):
            self._register(candidate)

    def _register(self, route_group: RouteGroup) -> None:
        self._pending.remove(route_group)
        self._index_pending()
        for routes in route_group.load():
            if isinstance(routes, APIRouter):
                # The router's routes already hold their full path, tags, responses and
                # dependencies; added flat, a request matches them directly instead of
                # through FastAPI's included-router wrapper (two passes per router).
                self.router.routes.extend(routes.routes)
            else:
                self.router.routes.append(routes)
        self.openapi_schema = None

    def openapi(self) -> dict[str, Any]:
        self.load_all()
        return super().openapi()

    def build_middleware_stack(self) -> ASGIApp:
        """FastAPI's stack wrapped in `Edge`, outside ServerErrorMiddleware (see `edge`)."""
        return Edge(super().build_middleware_stack(), **self._edge_options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._pending and scope["type"] == "http":
            path = scope["path"]
            if path.startswith(self._pending_prefixes) or path in self._pending_paths:
                self.load_groups_for(path)
        await super().__call__(scope, receive, send)


def _html_error_page(request: Request, status_code: int, message: str) -> Response:
    """Errors on HTML pages use the site's layout (the web group renders them)."""
    app = request.app
    if isinstance(app, CourtsideApp):
        app.load_group("web")
    from courtside.web.pages import html_error_page

    return html_error_page(request, status_code, message)


def create_app(*, load_all: bool = False) -> CourtsideApp:
    """The app; `load_all` registers every route group now (tests that walk the routes)."""
    settings = get_app_settings()
    check_auth_settings(settings, get_auth_settings())  # refuses default secrets outside local
    get_database_settings()  # a DATABASE_URL the app cannot use refuses to start, not to serve
    configure_logging(settings.log_level, on_lambda=on_lambda())
    app = CourtsideApp(
        groups=GROUPS,
        edge={
            "max_body_bytes": settings.max_body_bytes,
            "path_limits": {"/v1/ingest/": get_ingest_settings().ingest_max_body_bytes},
            "behind_cloudfront": settings.behind_cloudfront,
        },
        title="Courtside",
        version="1.0.0",
        summary="NBA teams, players, games, moneyline odds, standings and predictions.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's /docs and /redoc load from CDNs: see web.api_docs
        redoc_url=None,
    )
    install_error_handlers(app)
    app.state.html_error_renderer = _html_error_page
    if load_all:
        app.load_all()
    return app


app = create_app()
