"""The app's deployable services (`courtside.services_registry`): each serves its route groups
and nothing else, from its own Lambda entry point, and `make run` still serves them all.

A path of another service answers 404 from a service's app (no accidental routes), and a cold
process of a service's entry point answering such paths imports none of the other services'
route modules.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from courtside.main import create_app
from courtside.route_groups import GROUPS, group
from courtside.services_registry import (
    APP_ROLE,
    DEFAULT_SERVICE,
    SERVICES,
    WHOLE_APP,
    owner,
    service,
)
from tests.api.access_rules import MOUNT_SAMPLE_PATHS, SAMPLE_PATH_VALUES
from tests.api.auth.routes import app_routes

REPO = Path(__file__).resolve().parents[3]
EVENT = REPO / "tests" / "api" / "runtime" / "events" / "function_url_teams.json"
NAMES = [s.name for s in SERVICES]


def _concrete(method: str, path: str) -> str:
    if method == "MOUNT":
        return MOUNT_SAMPLE_PATHS.get(path, path + "/")
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "1"), path)


def _requests_of(name: str) -> list[tuple[str, str]]:
    """(method, concrete path) of every route of the service `name`."""
    return [
        ("GET" if method == "MOUNT" else method, _concrete(method, path))
        for method, path in app_routes(create_app(service=name))
    ]


def _endpoint_modules(group_name: str) -> set[str]:
    """The modules defining a route group's endpoints (what loading that group imports)."""
    modules = set()
    for routes in group(group_name).load():
        for route in getattr(routes, "routes", [routes]):
            endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)
            modules.add(endpoint.__module__ if hasattr(endpoint, "__module__") else "")
    return {m for m in modules if m.startswith("courtside.")}


# --- the registry --------------------------------------------------------------------------


def test_every_route_group_belongs_to_exactly_one_service():
    served = [name for s in SERVICES for name in s.groups]
    assert sorted(served) == sorted(g.name for g in GROUPS)
    assert len(served) == len(set(served))
    assert WHOLE_APP.groups == tuple(g.name for g in GROUPS)


def test_the_public_read_api_is_its_own_service():
    assert service("public").groups == ("reference", "schedule", "health")
    assert set(service("web").groups) == {
        "docs",
        "account",
        "admin-api",
        "web",
        "web-record",
        "web-league",
        "web-account",
        "web-admin",
    }
    assert service("ingest").groups == ("ingest",)


def test_each_service_has_its_own_role_and_entry_point():
    roles = [s.database_role for s in (*SERVICES, WHOLE_APP)]
    assert len(set(roles)) == len(roles)
    assert WHOLE_APP.database_role == APP_ROLE
    handlers = [s.handler for s in (*SERVICES, WHOLE_APP)]
    assert len(set(handlers)) == len(handlers)
    for s in (*SERVICES, WHOLE_APP):
        module, _, attribute = s.handler.rpartition(".")
        assert attribute == "handler"
        assert (REPO / "api" / Path(*module.split("."))).with_suffix(".py").is_file(), s.handler


def test_ingestion_and_the_web_send_email_and_only_the_web_signs_people_in():
    # ingestion: settled bets' notifications; the web: password-reset and address links
    assert [s.name for s in SERVICES if s.sends_email] == ["web", "ingest"]
    assert [s.name for s in SERVICES if s.signs_people_in] == ["web"]
    assert DEFAULT_SERVICE.claims("/")


OPENAPI = ("GET", "/openapi.json")
"""FastAPI's own route: no group claims it; the service with the docs serves it (and CloudFront
sends it there, the default behaviour)."""


@pytest.mark.parametrize("name", NAMES)
def test_every_route_of_a_service_is_claimed_by_it(name):
    for method, path in app_routes(create_app(service=name)):
        if (method, path) == OPENAPI:
            assert service(name).documents_api and service(name) == DEFAULT_SERVICE
            continue
        concrete = _concrete(method, path)
        assert owner(concrete) == service(name), (method, concrete)


def test_the_whole_app_is_the_sum_of_the_services():
    whole = set(app_routes(create_app()))
    parts = [set(app_routes(create_app(service=name))) for name in NAMES]
    assert set().union(*parts) == whole
    assert sum(len(p) for p in parts) == len(whole)  # no route in two services


# --- no accidental routes ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
async def test_a_path_of_another_service_answers_404(name):
    app = create_app(service=name)
    foreign = [
        (method, path)
        for other in NAMES
        if other != name
        for method, path in _requests_of(other)
        if path != "/openapi.json"
    ]
    assert foreign
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for method, path in foreign:
            for accept in ("application/json", "text/html"):
                response = await client.request(method, path, headers={"Accept": accept})
                assert response.status_code == 404, (name, method, path, response.text[:200])
    assert app.loaded_groups == []  # no foreign path loaded anything


async def test_services_without_the_docs_serve_no_openapi_and_web_documents_everything():
    for name in ("public", "ingest"):
        transport = httpx.ASGITransport(app=create_app(service=name))
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            assert (await client.get("/openapi.json")).status_code == 404
    web = create_app(service="web")
    assert set(web.openapi()["paths"]) == set(create_app().openapi()["paths"])
    assert web.loaded_groups == list(service("web").groups)  # its own, not the others'


async def test_the_ingest_service_drops_peoples_credentials(connection, cache):
    """It never reads a token or a session cookie: a person's token is 401 asking for a key,
    before any code could look the person up (its role cannot read the users table)."""
    from courtside.db import get_sessionmaker
    from tests.api.ingest.conftest import user_headers

    async with get_sessionmaker()() as session:
        headers = await user_headers(session, "Admin")
    body = {"records": [{"abbreviation": "BOS"}]}
    cases = (("ingest", (401, "api_key_required")), (None, (403, "api_key_required")))
    for name, expected in cases:
        transport = httpx.ASGITransport(app=create_app(service=name))
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            for sent in (headers, {"Cookie": "courtside_session=" + headers["Authorization"][7:]}):
                response = await client.post("/v1/ingest/teams", json=body, headers=sent)
                got = (response.status_code, response.json()["error"]["code"])
                if name is None and "Cookie" in sent:
                    continue  # the whole app reads the cookie too (CSRF rules apply)
                assert got == expected, (name, sent.keys(), response.text)


# --- each service's entry point, in a cold process -----------------------------------------


COLD_SERVICE = """
import importlib, json, sys
module, _, name = sys.argv[1].rpartition(".")
handler = getattr(importlib.import_module(module), name)
template = json.load(open(sys.argv[2]))
class Context:
    aws_request_id = "cold"
answers = []
for method, path, accept in json.loads(sys.argv[3]):
    event = json.loads(json.dumps(template))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["rawQueryString"] = ""
    event["headers"]["accept"] = accept
    answers.append(handler(event, Context())["statusCode"])
print(json.dumps({"answers": answers, "modules": sorted(sys.modules)}))
"""

OWN_REQUEST = {
    "public": ("GET", "/v1/teams", 200),
    "web": ("GET", "/login", 200),
    "ingest": ("POST", "/v1/ingest/teams", 401),  # no API key
}


@pytest.fixture(scope="module")
def cold_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('services') / 'cold.db'}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "OTEL_", "JWT_"))
    }
    env.update(
        PYTHONPATH=f"{REPO / 'api'}{os.pathsep}{REPO}",
        DATABASE_URL=url,
        ENVIRONMENT="local",
        AWS_LAMBDA_FUNCTION_NAME="courtside-test",
    )
    subprocess.run(
        [sys.executable, "-m", "courtside", "migrate"], env=env, check=True, capture_output=True
    )
    return env


@pytest.mark.parametrize("name", NAMES)
def test_a_cold_service_imports_nothing_of_the_other_services(cold_env, name):
    """The entry point named by the registry (the function's command) answers its own path, and
    404 for one path of every other group, without importing those groups' route modules."""
    own_method, own_path, own_status = OWN_REQUEST[name]
    foreign_groups = [g for other in SERVICES if other.name != name for g in other.groups]
    foreign = []
    for group_name in foreign_groups:
        other = create_app(service=next(s.name for s in SERVICES if group_name in s.groups))
        other.load_group(group_name)
        method, path = next(
            (m, p)
            for m, p in app_routes(other)
            if group(group_name).claims(_concrete(m, p)) and p != "/openapi.json"
        )
        foreign.append(("GET" if method == "MOUNT" else method, _concrete(method, path)))
    requests = [(own_method, own_path, "application/json")]
    requests += [(m, p, a) for m, p in foreign for a in ("application/json", "text/html")]

    command = [sys.executable, "-c", COLD_SERVICE, service(name).handler, str(EVENT)]
    completed = subprocess.run(
        [*command, json.dumps(requests)],
        env=cold_env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["answers"] == [own_status] + [404] * (len(requests) - 1)
    modules = set(result["modules"])
    forbidden = set().union(*(_endpoint_modules(g) for g in foreign_groups))
    own = set().union(*(_endpoint_modules(g) for g in service(name).groups))
    assert forbidden - own, "the check must name modules to look for"
    assert sorted((forbidden - own) & modules) == []
    assert "courtside.main" in modules
    if not service(name).renders_pages:
        assert "jinja2" not in modules  # an HTML 404 of another service's page included


def test_a_split_functions_command_runs_through_the_lambda_runtime(cold_env):
    """`python -m awslambdaric courtside.lambda_services.public.handler`: what the image runs
    with the public function's command override, against the Runtime API stub."""
    from tests.api.runtime.conftest import load_event
    from tests.api.runtime.test_runtime_api import run_through_runtime

    database = Path(cold_env["DATABASE_URL"].removeprefix("sqlite+aiosqlite:///"))
    other = load_event("function_url_teams.json")
    other["rawPath"] = other["requestContext"]["http"]["path"] = "/login"
    results, output = run_through_runtime(
        service("public").handler, [load_event("function_url_teams.json"), other], database
    )
    assert [kind for _, kind, _ in results] == ["response", "response"], output
    assert [payload["statusCode"] for _, _, payload in results] == [200, 404]
