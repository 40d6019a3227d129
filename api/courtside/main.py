"""The ASGI app. `create_app()` builds it; `app` is what uvicorn and the Lambda handler serve.

Building the app touches no database, cache or secret: those are created on first use. It
registers no route either: each route group (`courtside.route_groups`) is imported and added
the first time a request for one of its paths arrives, so a cold start pays only for the
group its first request needs. The OpenAPI document loads every group first.

`create_app(service="public")` builds one deployable service of `courtside.services_registry`
instead: only that service's groups exist in it (any other path is a 404, and nothing of the
other groups is imported). `app`, the whole app, is built on first access, so a service's
Lambda entry point can import this module without building (and configuring) the whole app.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi._compat import shared as fastapi_compat
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from courtside import cache, services_registry, tracing
from courtside.auth.config import check_auth_settings
from courtside.edge import Edge
from courtside.errors import install_error_handlers
from courtside.observability import configure_logging
from courtside.route_groups import GROUPS, RouteGroup, group
from courtside.services_registry import WHOLE_APP, Service
from courtside.settings import (
    get_app_settings,
    get_auth_settings,
    get_database_settings,
    get_ingest_settings,
    on_lambda,
)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Under uvicorn: release connections on shutdown and export the last spans. (Lambda runs
    with lifespan off, and flushes spans after each invocation.)"""
    yield
    db = sys.modules.get("courtside.db")  # never loaded by a process the cache answered
    if db is not None:
        await db.dispose_engine()
    await cache.get_cache().close()
    cache.use_cache(None)
    tracing.shutdown()


PEOPLES_CREDENTIALS = frozenset({b"authorization", b"x-forwarded-authorization", b"cookie"})
"""What a service that does not sign people in never reads (`Service.signs_people_in`)."""


class CourtsideApp(FastAPI):
    """FastAPI whose route groups are registered on first use (see the module docstring).

    `people=False` drops people's credentials from every request before anything reads them;
    `document_all` makes `/openapi.json` describe every group, not only this app's.
    """

    def __init__(
        self,
        *,
        groups: Iterable[RouteGroup],
        edge: dict[str, Any],
        people: bool = True,
        document_all: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self._groups: tuple[RouteGroup, ...] = tuple(groups)
        self._pending: list[RouteGroup] = list(self._groups)
        self._pending_prefixes: tuple[str, ...] = ()
        self._pending_paths: frozenset[str] = frozenset()
        self._index_pending()
        self._edge_options = edge
        self._people = people
        self._document_all = document_all

    def _index_pending(self) -> None:
        """One `startswith` per request decides whether any pending group claims the path."""
        self._pending_prefixes = tuple(p for g in self._pending for p in g.prefixes)
        self._pending_paths = frozenset(p for g in self._pending for p in g.paths)

    @property
    def loaded_groups(self) -> list[str]:
        return [g.name for g in self._groups if g not in self._pending]

    @property
    def group_names(self) -> list[str]:
        """Every group this app serves, loaded or not."""
        return [g.name for g in self._groups]

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
        self.router.routes.extend(_flat(route_group.load()))
        self.openapi_schema = None

    def openapi(self) -> dict[str, Any]:
        """The document of every route (and, with `document_all`, the other services'),
        with what `http_methods` adds: the 400 of an unreadable body, the 405 and `Allow`."""
        # lazy: the OpenAPI extras load only when /openapi.json is asked for
        from courtside.http_methods import document_extras

        self.load_all()
        if self._document_all and self.openapi_schema is None:
            # The other services' routes, for the document only (this app never routes them).
            served = self.router.routes
            others = [g for g in GROUPS if g not in self._groups]
            self.router.routes = [*served, *(r for g in others for r in _flat(g.load()))]
            try:
                return document_extras(super().openapi())
            finally:
                self.router.routes = served
        return document_extras(super().openapi())

    def build_middleware_stack(self) -> ASGIApp:
        """FastAPI's stack wrapped in `Edge`, outside ServerErrorMiddleware (see `edge`)."""
        return Edge(super().build_middleware_stack(), **self._edge_options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self._pending:
                path = scope["path"]
                if path.startswith(self._pending_prefixes) or path in self._pending_paths:
                    self.load_groups_for(path)
            if not self._people:
                headers = [h for h in scope["headers"] if h[0] not in PEOPLES_CREDENTIALS]
                scope = {**scope, "headers": headers}
        await super().__call__(scope, receive, send)


def _v1_model_class_once_imported(fastapi_check: Any) -> Any:
    """FastAPI asks of each model and parameter type a route declares whether it is a
    `pydantic.v1` model, and imports `pydantic.v1` to ask (23 modules, the first route a cold
    start registers pays ~15 ms; the floor's route never asks). No class can be a v1 model
    while nothing has imported `pydantic.v1`: until something has, the answer is no, without
    the import; after, FastAPI's own check answers."""

    def is_v1_model_class(cls: Any) -> bool:
        return "pydantic.v1" in sys.modules and bool(fastapi_check(cls))

    return is_v1_model_class


fastapi_compat.is_pydantic_v1_model_class = _v1_model_class_once_imported(
    fastapi_compat.is_pydantic_v1_model_class
)


def _flat(routes: Iterable[Any]) -> list[Any]:
    """A group's routers flattened into their routes. Each route already holds its full path,
    tags, responses and dependencies; added flat, a request matches it directly instead of
    through FastAPI's included-router wrapper (two passes per router)."""
    flat: list[Any] = []
    for routes_or_router in routes:
        if isinstance(routes_or_router, APIRouter):
            flat.extend(routes_or_router.routes)
        else:
            flat.append(routes_or_router)
    return flat


def _html_error_page(request: Request, status_code: int, message: str) -> Response:
    """Errors on HTML pages use the site's layout (the web group renders them)."""
    app = request.app
    if isinstance(app, CourtsideApp):
        app.load_group("web")
    # lazy: the pages (Jinja2) load only when an HTML error is rendered
    from courtside.web.site_pages import html_error_page

    return html_error_page(request, status_code, message)


def create_app(*, load_all: bool = False, service: str | None = None) -> CourtsideApp:
    """The whole app, or one `service` of `courtside.services_registry` (by name);
    `load_all` registers every route group now (tests that walk the routes)."""
    served: Service = WHOLE_APP if service is None else services_registry.service(service)
    settings = get_app_settings()
    if served.signs_people_in:  # refuses default secrets outside local
        check_auth_settings(settings, get_auth_settings())
        # lazy: only a service that signs people in loads SSO's settings and checks them
        from courtside.auth.oidc_config import check_sso_settings
        from courtside.sso_settings import get_sso_settings

        check_sso_settings(settings, get_sso_settings())
    get_database_settings()  # a DATABASE_URL the app cannot use refuses to start, not to serve
    configure_logging(settings.log_level, on_lambda=on_lambda())
    if settings.otel_enabled:  # under uvicorn; on Lambda already done at init (no-op here)
        tracing.setup()
    app = CourtsideApp(
        groups=served.route_groups,
        people=served.signs_people_in,
        document_all=served is not WHOLE_APP and served.documents_api,
        openapi_url="/openapi.json" if served.documents_api else None,
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
    if served.renders_pages:
        app.state.html_error_renderer = _html_error_page
    if load_all:
        app.load_all()
    return app


app: CourtsideApp
"""The whole app (uvicorn `courtside.main:app`, the all-in-one Lambda handler)."""


def __getattr__(name: str) -> CourtsideApp:
    """Build `app` on first access (PEP 562): see the module docstring."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    built = create_app()
    globals()["app"] = built
    return built
