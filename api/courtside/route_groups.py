"""The app's routes in groups, declared once: which paths each group serves and how to load it.

A group is imported and registered the first time a request for one of its paths arrives
(`courtside.main.CourtsideApp`), so a cold start for `GET /v1/teams` imports and builds the
routes of reference data only: not the schedule, the web pages, the admin area, the auth
routes or the ingestion API. Every
route of a group lies under the group's `prefixes` (or is one of its exact `paths`), and no
route lies under another group's prefix: a test checks both, so the order in which groups
are loaded can never change which route answers a request. A route's path with or without its
trailing slash is claimed by the route's group too (Starlette redirects from one to the
other), even where another group's prefix also claims it: then both load.

Which groups run together, as one deployable service, is `courtside.services_registry`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at run time this module is data only: the CDK app reads it too
    from fastapi import APIRouter
    from starlette.routing import BaseRoute

    Routes = Sequence[APIRouter | BaseRoute]


@dataclass(frozen=True)
class RouteGroup:
    name: str
    prefixes: tuple[str, ...]
    """A path belongs to the group if it starts with one of these."""
    load: Callable[[], Routes]
    """Imports the group's modules and returns its routers (and mounts)."""
    paths: tuple[str, ...] = ()
    """Exact paths that belong to the group (`/` cannot be a prefix)."""

    def claims(self, path: str) -> bool:
        return path in self.paths or path.startswith(self.prefixes)


def _health() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.routers import health

    return [health.router]


def _reference() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.routers import reference

    return [reference.router]


def _schedule() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.routers import odds_movement, schedule, track_record

    return [schedule.router, odds_movement.router, track_record.router]


def _docs() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.web import api_docs

    return [api_docs.router]


def _account() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.routers import me, me_stats
    from courtside.routers.auth import router as auth_router

    return [auth_router, me.router, me_stats.router]


def _admin_api() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.routers import admin_events, admin_flags
    from courtside.routers.admin_api_keys import router as admin_api_keys_router
    from courtside.routers.admin_users import router as admin_users_router

    return [admin_users_router, admin_api_keys_router, admin_flags.router, admin_events.router]


def _ingest() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.routers import ingest

    return [ingest.router]


def _pages(*routers: APIRouter | BaseRoute) -> Routes:
    """A web group's routes, once the pages' context hooks are installed (idempotent)."""
    # lazy: a service imports only the route groups it serves
    from courtside.web.session import install_context_hooks

    install_context_hooks()
    return list(routers)


def _web() -> Routes:
    """The board and the static files: what a signed-in person's first page (`GET /`) needs.
    The other pages are groups of their own (`web-record`, `web-league`, `web-account`,
    `web-admin`), so a cold web service registers a few of the site's routes for it, not all
    53 (FastAPI analyses each route's parameters as it is added)."""
    # lazy: a service imports only the route groups it serves
    from courtside.web import board_pages, site_pages
    from courtside.web.static_files import static_files

    return _pages(board_pages.router, site_pages.router, static_files())


def _web_record() -> Routes:
    """My record (its page, CSV and unit), cancelling a bet. Not the board's
    group: the record's analytics, charts and reads (`courtside.web.pages` and what it
    imports) cost a cold `GET /` ~165 M instructions of 3.37 G, for routes it never runs."""
    # lazy: a service imports only the route groups it serves
    from courtside.web import pages, record_unit

    return _pages(pages.router, record_unit.router)


def _web_league() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.web import league_pages, track_record_pages

    return _pages(track_record_pages.router, league_pages.router)


def _web_account() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.web import (
        account_links,
        account_manage,
        account_pages,
        auth_pages,
        sso_pages,
    )

    return _pages(
        auth_pages.router,
        sso_pages.router,
        account_pages.router,
        account_manage.router,
        account_links.router,
    )


def _web_admin() -> Routes:
    # lazy: a service imports only the route groups it serves
    from courtside.web import admin_flag_pages, admin_key_pages, admin_pages, admin_user_pages

    return _pages(
        admin_pages.router,
        admin_flag_pages.router,
        admin_user_pages.router,
        admin_key_pages.router,
    )


GROUPS: tuple[RouteGroup, ...] = (
    RouteGroup(name="reference", prefixes=("/v1/teams", "/v1/players"), load=_reference),
    RouteGroup(
        name="schedule",
        prefixes=("/v1/games", "/v1/odds", "/v1/predictions", "/v1/standings"),
        load=_schedule,
    ),
    RouteGroup(name="health", prefixes=("/health",), load=_health),
    RouteGroup(name="docs", prefixes=("/docs",), load=_docs),
    RouteGroup(name="account", prefixes=("/token", "/v1/auth/", "/v1/me"), load=_account),
    RouteGroup(name="admin-api", prefixes=("/v1/admin/",), load=_admin_api),
    RouteGroup(name="ingest", prefixes=("/v1/ingest/",), load=_ingest),
    # `/bets/` is both groups': `GET /bets/` redirects to the board's `/bets` (Starlette's
    # trailing-slash redirect), so it must load the board's group whichever loads first.
    RouteGroup(
        name="web",
        prefixes=("/static", "/favicon.ico"),
        paths=("/", "/bets", "/bets/"),
        load=_web,
    ),
    RouteGroup(name="web-record", prefixes=("/bets/", "/record"), load=_web_record),
    RouteGroup(
        name="web-league",
        prefixes=("/games/", "/standings", "/teams/", "/players/", "/track-record"),
        load=_web_league,
    ),
    RouteGroup(
        name="web-account",
        prefixes=(
            "/login",
            "/logout",
            "/signup",
            "/leaderboard",
            "/notifications",
            "/settings",
            "/account",
            "/password/",
        ),
        load=_web_account,
    ),
    RouteGroup(name="web-admin", prefixes=("/admin",), load=_web_admin),
)
"""Every route group. The public read API is three (reference data, the schedule, health), so
a cold start for `/v1/teams` builds the routes of teams and players only."""


def group(name: str) -> RouteGroup:
    for candidate in GROUPS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
