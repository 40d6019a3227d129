"""The app as deployable services: which route groups run together, as which database role.

Declared once, here, and read by the app (`courtside.main.create_app(service=...)`, the Lambda
entry points in `courtside.lambda_services`), by the migrator (the roles whose passwords it
sets) and by the CDK stacks in `infra/` (one function per service, CloudFront routing each
service's path prefixes to it). Like `route_groups`, this module is data only at run time.

Locally (`make run`, uvicorn `courtside.main:app`) and in an ``all-in-one`` deployment the whole
app runs in one process as `WHOLE_APP`. A ``split`` deployment runs each of `SERVICES` in a
function of its own: only its route groups are registered (a path of another service is a 404
and imports nothing of that service), with its own concurrency, alarms, IAM and database role
(migration ``0010_service_roles``):

- ``public``: the read API (reference data, the schedule, health); reads league tables only;
- ``web``: pages, the docs, sign-in and accounts, the admin API and static files; reads league
  data, reads and writes users, bets and the admin tables; e-mails account links (password
  reset, a new address to confirm);
- ``ingest``: the data pipeline's batches; writes league data and settles bets (which creates
  notifications and e-mails them), and never sees the users table beyond the e-mail address of
  a user who asked for notification e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass

from courtside.route_groups import GROUPS, RouteGroup, group

APP_ROLE = "courtside_app"
"""The whole app's database role (migration 0007_app_role): local runs and all-in-one."""


@dataclass(frozen=True, kw_only=True)
class Service:
    name: str
    groups: tuple[str, ...]
    """Names of the route groups it serves (`courtside.route_groups`)."""
    database_role: str
    handler: str
    """The Lambda entry point: the image's command for this service's function."""
    signs_people_in: bool
    """Verifies people's tokens and session cookies, so it needs the JWT key and reads users.
    A service without it never looks at them: `Authorization`, `X-Forwarded-Authorization`
    and `Cookie` are dropped before routing (a person's token on ingestion is a 401 asking
    for an API key), so it holds no JWT key and reads no account."""
    sends_email: bool
    """Sends e-mail: settles bets (ingestion of final results), whose notifications may go
    out by e-mail after the commit, or sends account links (password reset, a new address
    to confirm): it gets the e-mail settings and the permission to send."""

    @property
    def route_groups(self) -> tuple[RouteGroup, ...]:
        return tuple(group(name) for name in self.groups)

    @property
    def documents_api(self) -> bool:
        """Serves `/openapi.json` (for the whole API) because it serves `/docs`."""
        return "docs" in self.groups

    @property
    def renders_pages(self) -> bool:
        """Answers errors on HTML routes with the site's error page (the web group)."""
        return "web" in self.groups

    def claims(self, path: str) -> bool:
        return any(g.claims(path) for g in self.route_groups)


WHOLE_APP = Service(
    name="api",
    groups=tuple(g.name for g in GROUPS),
    database_role=APP_ROLE,
    handler="courtside.lambda_handler.handler",
    signs_people_in=True,
    sends_email=True,
)
"""Every route group in one app: `make run` and an ``all-in-one`` deployment."""

PUBLIC = Service(
    name="public",
    groups=("reference", "schedule", "health"),
    database_role="courtside_public",
    handler="courtside.lambda_services.public.handler",
    signs_people_in=False,
    sends_email=False,
)
WEB = Service(
    name="web",
    groups=(
        "docs",
        "account",
        "admin-api",
        "web",
        "web-record",
        "web-league",
        "web-account",
        "web-admin",
    ),
    database_role="courtside_web",
    handler="courtside.lambda_services.web.handler",
    signs_people_in=True,
    # Password-reset links and e-mail address confirmations. (It settles no bets: its only
    # settling path, the admin's "simulate results", is local-only.)
    sends_email=True,
)
INGEST = Service(
    name="ingest",
    groups=("ingest",),
    database_role="courtside_ingest",
    handler="courtside.lambda_services.ingest.handler",
    signs_people_in=False,
    sends_email=True,
)

SERVICES: tuple[Service, ...] = (PUBLIC, WEB, INGEST)
"""A ``split`` deployment: every route group belongs to exactly one of them (a test checks)."""

DEFAULT_SERVICE = WEB
"""Answers the paths no group claims (CloudFront's default behaviour): pages live at `/`."""


def service(name: str) -> Service:
    for candidate in (*SERVICES, WHOLE_APP):
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def owner(path: str) -> Service | None:
    """The service whose route groups claim `path` (None: no group does)."""
    return next((s for s in SERVICES if s.claims(path)), None)
