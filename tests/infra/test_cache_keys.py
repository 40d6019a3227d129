"""The CDN's cache keys hold exactly the query parameters the app's routes read (issue 12.3).

Each public ``GET /v1`` route falls into a CloudFront behaviour whose cache policy keys on an
allow-list of query strings. A parameter a route validates but its group does not list would be
dropped from the cache key — one cached answer for every value. So this walks the app's routes
(its OpenAPI document: every validated query parameter, path by path) and checks each against the
behaviour CloudFront would pick for it. A new parameter or a new route cannot be forgotten.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

import pytest

from cdn.infrastructure import PRIVATE_PATHS, PUBLIC_ROUTE_GROUPS, UNLISTED_API_PATH


def _behaviour_patterns() -> list[str]:
    """Path patterns in the distribution's order (CloudFront takes the first that matches)."""
    return [*PRIVATE_PATHS, *PUBLIC_ROUTE_GROUPS, UNLISTED_API_PATH]


def _cloudfront_match(path: str) -> str | None:
    """The first behaviour pattern matching `path` (`*` and `?` as CloudFront reads them)."""
    return next((p for p in _behaviour_patterns() if fnmatchcase(path, p)), None)


def _concrete(path_template: str) -> str:
    """A request path for an OpenAPI path template: `{param}` becomes a sample segment."""
    return re.sub(r"\{[^}]+\}", "42", path_template)


@pytest.fixture(scope="module")
def public_get_routes() -> dict[str, set[str]]:
    """Every GET route under /v1 that CloudFront may cache -> the query parameters it reads."""
    from courtside.main import create_app

    document: dict[str, Any] = create_app().openapi()
    routes = {}
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/") or "get" not in operations:
            continue
        if _cloudfront_match(_concrete(path)) in PRIVATE_PATHS:
            continue  # never cached: every query string reaches the app
        parameters = operations["get"].get("parameters", [])
        routes[path] = {p["name"] for p in parameters if p["in"] == "query"}
    return routes


def test_the_walk_sees_the_public_api(public_get_routes):
    assert {"/v1/teams", "/v1/players", "/v1/games", "/v1/standings"} <= set(public_get_routes)
    assert not any(path.startswith(("/v1/me", "/v1/admin")) for path in public_get_routes)


def test_every_public_route_is_in_a_cached_group(public_get_routes):
    """A route that falls through to /v1/* is never cached: add it to a group on purpose."""
    for path in public_get_routes:
        assert _cloudfront_match(_concrete(path)) in PUBLIC_ROUTE_GROUPS, path


def test_every_query_parameter_a_route_accepts_is_in_its_groups_cache_key(public_get_routes):
    for path, accepted in public_get_routes.items():
        group = _cloudfront_match(_concrete(path))
        assert group is not None
        missing = accepted - set(PUBLIC_ROUTE_GROUPS[group])
        assert not missing, f"{path} reads {sorted(missing)}; add them to {group!r}"


def test_no_group_keys_on_a_parameter_none_of_its_routes_reads(public_get_routes):
    """A stale entry would let `?that=<random>` split the cache and reach the database."""
    read_by_group: dict[str, set[str]] = {group: set() for group in PUBLIC_ROUTE_GROUPS}
    for path, accepted in public_get_routes.items():
        group = _cloudfront_match(_concrete(path))
        assert group is not None
        read_by_group[group] |= accepted
    for group, allowed in PUBLIC_ROUTE_GROUPS.items():
        assert set(allowed) == read_by_group[group], group


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("/v1/me", "/v1/me"),
        ("/v1/me/bets", "/v1/me/*"),
        ("/v1/teams", "/v1/teams*"),
        ("/v1/teams/42/players", "/v1/teams*"),
        ("/v1/games/42/odds", "/v1/games*"),
        ("/v1/newthing", "/v1/*"),
        ("/login", None),
    ],
)
def test_the_matcher_reads_patterns_as_cloudfront_does(path, pattern):
    assert _cloudfront_match(path) == pattern
