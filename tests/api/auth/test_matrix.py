"""The auth matrix: every route of the app under every kind of caller.

Routes come from the app's route table (new routes are covered automatically); the
expected outcome comes from the route's rule in `tests/api/access_rules.py`. A route
without a rule fails `test_every_route_has_a_rule` and its matrix cases.

The ~1,200 cases share one app (`app`, module-scoped): building one reads five settings
classes from the environment, and each fresh app loaded its route groups and rendered
/openapi.json again: with an app per case this module took 70.7 s of CPU, with one 39.7 s
(2026-12-06, -n 0 with coverage). The app holds no state a
request leaves behind (sessions, limits and the cache live in PostgreSQL and Redis, under
each case's rolled-back transaction and its own key prefix), so each case still makes its own
request, with a fresh client (no cookie carried over) and its own credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from courtside import unit_of_work
from courtside.main import create_app
from courtside.services import audit, users
from courtside.settings import reset_settings
from tests.api.access_rules import MOUNT_SAMPLE_PATHS, RULES, SAMPLE_PATH_VALUES

from .helpers import (
    alg_none_token,
    bearer,
    expired_token,
    make_key,
    make_user,
    other_secret_token,
    tampered_token,
    token,
)
from .routes import app_routes, openapi_operations

ROUTES = app_routes(create_app())
PRINCIPALS = [
    "anonymous",
    "consumer",
    "admin",
    "admin_cookie",
    "read_key",
    "write_key",
    "expired",
    "tampered",
    "alg_none",
    "other_secret",
    "deactivated",
    "demoted_admin",
]
BROKEN = {"expired", "tampered", "alg_none", "other_secret", "deactivated", "demoted_admin"}
KNOWN_RULES = {
    "public",
    "optional_user",
    "user",
    "admin",
    "scope:read",
    "scope:write",
    "page_user",
    "page_admin",
    "form_public",
    "form_session",
}
SAFE = {"GET", "HEAD", "OPTIONS", "MOUNT"}

PASS = "passes"
LOGIN = "redirect to login"
LOGIN_OR_403 = "redirect to login or 403"


@dataclass(frozen=True)
class Outcome:
    name: str

    def matches(self, response: httpx.Response) -> bool:
        status = response.status_code
        to_login = status == 303 and response.headers.get("location", "").startswith("/login?next=")
        if self.name == PASS:
            return status not in (401, 403) and status < 500 and not to_login
        if self.name == LOGIN:
            return to_login
        if self.name == LOGIN_OR_403:
            return to_login or status == 403
        return status == int(self.name)


def expected(rule: str, principal: str, method: str) -> str:
    """The outcome a principal gets on a route with this rule (see access_rules.py)."""
    safe = method in SAFE
    if rule == "public":
        return PASS
    if rule == "form_session":
        return "403" if principal == "admin_cookie" else PASS
    if rule == "form_public":  # only a credential that verifies stands in for the CSRF token
        return "403" if principal in ("anonymous", "admin_cookie", *BROKEN) else PASS
    if principal == "admin_cookie" and not safe:
        return "403"  # cookie-authenticated write without a CSRF token
    user = principal in ("consumer", "admin", "admin_cookie")
    is_admin = principal in ("admin", "admin_cookie")
    key = principal in ("read_key", "write_key")
    if principal in BROKEN:
        return "401"
    if rule == "optional_user":
        return PASS
    if rule in ("user", "admin"):
        if not user:
            return "401"
        return PASS if rule == "user" or is_admin else "403"
    if rule.startswith("scope:"):
        needed = rule.split(":", 1)[1]
        if key:
            return PASS if principal == "write_key" or needed == "read" else "403"
        return "403" if user else "401"
    if rule in ("page_user", "page_admin"):
        if not user:
            return LOGIN if safe or key else LOGIN_OR_403
        return PASS if rule == "page_user" or is_admin else "403"
    raise AssertionError(f"unknown rule {rule!r}")


def concrete(method: str, path: str) -> str:
    if method == "MOUNT":
        return MOUNT_SAMPLE_PATHS.get(path, path + "/")
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "1"), path)


async def credentials(session, principal: str) -> dict[str, str]:
    if principal == "anonymous":
        return {}
    if principal in ("read_key", "write_key"):
        return {"X-API-Key": await make_key(session, principal.split("_")[0])}
    role = "Consumer" if principal == "consumer" else "Admin"
    user = await make_user(session, role=role, active=principal != "deactivated")
    if principal == "admin_cookie":
        return {"Cookie": f"courtside_session={token(user)}"}
    if principal == "demoted_admin":
        old = token(user)
        await users.set_role(session, user_id=user.id, role="Consumer", actor=audit.SYSTEM)
        await unit_of_work.of(session).commit()
        return bearer(old)
    makers = {
        "expired": expired_token,
        "tampered": tampered_token,
        "alg_none": alg_none_token,
        "other_secret": other_secret_token,
    }
    return bearer(makers[principal](user) if principal in makers else token(user))


@pytest.fixture(scope="module")
def app() -> Iterator[object]:
    """One app for every case of this module (see the module docstring): overrides the
    harness's function-scoped `app`. Each case still asks for `connection` (through
    `session`) and `cache`, which point the app at its rolled-back transaction and its
    Redis prefix."""
    reset_settings()
    yield create_app()
    reset_settings()


def test_every_route_has_a_rule():
    missing = [route for route in ROUTES if route not in RULES]
    assert not missing, (
        f"routes without an access rule: {missing}; declare each in tests/api/access_rules.py"
    )


def test_no_stale_or_unknown_rules():
    stale = [route for route in RULES if route not in ROUTES]
    assert not stale, f"rules for routes that no longer exist: {stale}"
    unknown = {rule for rule in RULES.values() if rule not in KNOWN_RULES}
    assert not unknown, f"unknown rule names: {unknown}"


def test_route_walk_sees_every_documented_operation():
    assert openapi_operations(create_app()) <= set(ROUTES)


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_access(client, session, cache, method, path, principal):
    rule = RULES.get((method, path))
    assert rule is not None, f"{method} {path} has no rule in tests/api/access_rules.py"
    headers = await credentials(session, principal)
    response = await client.request(
        "GET" if method == "MOUNT" else method,
        concrete(method, path),
        headers={"Accept": "text/html,application/json", **headers},
    )
    outcome = expected(rule, principal, method)
    assert Outcome(outcome).matches(response), (
        f"{method} {path} [{rule}] as {principal}: expected {outcome}, "
        f"got {response.status_code} {response.headers.get('location', '')} {response.text[:200]}"
    )
