"""Which function answers which path: the app's service registry applied to the CDN.

The CDN's behaviours are path patterns (`cdn.infrastructure.behaviour_patterns`). A pattern
goes to the service whose route groups claim its literal prefix (``/v1/teams*`` -> public), a
prefix no group claims (``/v1/*``) and the default behaviour to the default service (web: the
pages live at ``/``). tests/infra/test_services_infra.py walks every route of the app and
checks that the behaviour CloudFront would pick for it sends it to the service that serves it.
"""

from __future__ import annotations

from cdn.infrastructure import HostPaths, behaviour_patterns
from courtside.services_registry import DEFAULT_SERVICE, Service, owner

OPENAPI_PATH = "/openapi.json"
"""FastAPI's own route: no route group's; the service with the docs serves it."""


def pattern_service(pattern: str) -> Service:
    """The service a behaviour's path pattern routes to when the app is split."""
    return owner(pattern.replace("*", "")) or DEFAULT_SERVICE


def split_origins() -> dict[str, str]:
    """Path pattern -> the name of the service (origin) answering it."""
    return {pattern: pattern_service(pattern).name for pattern in behaviour_patterns()}


def host_paths(service: Service) -> HostPaths:
    """What a service's own host name serves: its route groups' paths."""
    groups = service.route_groups
    paths = tuple(path for g in groups for path in g.paths)
    if service.documents_api:
        paths += (OPENAPI_PATH,)
    return HostPaths(prefixes=tuple(p for g in groups for p in g.prefixes), paths=paths)
