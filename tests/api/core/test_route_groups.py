"""Route groups load on first use, and lazy loading can never change which route answers.

The cold-start test counts what a fresh Lambda process imports for `GET /v1/teams`: the
public read API only (no web pages, templates, JWT library, admin, auth or ingestion code).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from courtside.main import create_app
from courtside.route_groups import GROUPS
from tests.api.auth.routes import app_routes
from tests.api.core.cold import EVENT, child_env, within

BUILT_IN = {("GET", "/openapi.json")}
"""FastAPI's own route, registered with the app."""


def _owners(path: str) -> list[str]:
    return [group.name for group in GROUPS if group.claims(path)]


def _route_paths_by_group() -> dict[str, set[str]]:
    by_group: dict[str, set[str]] = {}
    for group in GROUPS:
        app = create_app()
        before = set(app_routes_without_loading(app))
        app.load_group(group.name)
        by_group[group.name] = {path for _, path in set(app_routes_without_loading(app)) - before}
    return by_group


def app_routes_without_loading(app):
    from tests.api.auth.routes import _walk

    return set(_walk(app.router.routes, ""))


def test_every_route_belongs_to_exactly_the_group_that_declares_it():
    by_group = _route_paths_by_group()
    assert all(by_group.values()), by_group
    for name, paths in by_group.items():
        for path in paths:
            assert _owners(path) == [name], (path, name)
            for variant in {path.rstrip("/") or "/", path + "/"} - {path, "//"}:
                # The trailing-slash variants load the route's group too (Starlette redirects
                # from one to the other); another group may also claim one (`/bets/`).
                assert name in _owners(variant), (variant, name)


def test_the_groups_together_are_the_whole_app():
    lazy = create_app()
    eager = create_app(load_all=True)
    assert app_routes(lazy) == app_routes(eager)
    assert set(app_routes(eager)) - BUILT_IN


def test_the_openapi_document_sees_every_group():
    app = create_app()
    paths = app.openapi()["paths"]
    assert {"/v1/teams", "/token", "/v1/me/bets", "/v1/admin/users", "/v1/ingest/{dataset}"} <= set(
        paths
    )
    assert app.loaded_groups == [group.name for group in GROUPS]


async def test_a_request_loads_only_the_group_of_its_path(connection, cache):
    import httpx

    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/v1/teams")).status_code == 200
        assert app.loaded_groups == ["reference"]
        assert (await client.get("/nowhere")).status_code == 404
        assert app.loaded_groups == ["reference"]
        assert (await client.get("/v1/me")).status_code == 401
        assert app.loaded_groups == ["reference", "account"]
        page = await client.get("/nowhere", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert "<html" in page.text  # the site's error page: the web group rendered it
        assert "web" in app.loaded_groups


@pytest.mark.parametrize("service", [None, "web"])
async def test_a_trailing_slash_redirects_to_a_route_of_a_group_not_yet_loaded(
    connection, cache, service
):
    """`/bets/` lies under the record's group's prefix and is the board's `/bets` with a
    slash: as the first request of a process it must load the board's group, whose route
    Starlette's redirect points at, not only the record's."""
    import httpx

    app = create_app(service=service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/bets/", headers={"Accept": "text/html"})
        assert response.status_code == 307, response.status_code
        assert response.headers["location"] == "http://testserver/bets"
        assert {"web", "web-record"} <= set(app.loaded_groups)
        assert (await client.get("/record/", headers={"Accept": "text/html"})).status_code == 307


COLD_CHILD = """
import json, sys
from courtside.lambda_handler import handler
event = json.load(open(sys.argv[1]))
class Context:
    aws_request_id = "cold"
response = handler(event, Context())
assert response["statusCode"] == 200, response
print(json.dumps(sorted(sys.modules)))
"""

NOT_ON_THE_PUBLIC_COLD_PATH = (
    "jinja2",
    "jose",
    "pwdlib",
    "argon2",
    "alembic",
    "courtside.web",
    "courtside.auth.tokens",
    "courtside.services.passwords",
    "courtside.routers.admin_users",
    "courtside.routers.ingest",
    "courtside.routers.auth",
    "courtside.routers.me",
    "courtside.services.ingest",
    "courtside.services.placing",
    "courtside.services.settlement",
    "courtside.services.bet_record",
    "courtside.services.wallets",
    "courtside.services.markets",
    "courtside.routers.schedule",
    "courtside.models.accounts",
    "courtside.models.league",
    "courtside.models.core",
    "courtside.models.betting",
    "sqlalchemy.dialects.postgresql",
    # FastAPI's check for pydantic.v1 models answers without importing it (courtside.main).
    "pydantic.v1",
    # Secrets are read through Powertools' parameters, imported on the first secret fetch;
    # the Powertools logging formatter is part of Lambda init (courtside.lambda_logging).
    "boto3",
    "botocore.session",
    "aws_lambda_powertools.utilities.parameters",
    # Tracing is off (OTEL_ENABLED unset): nothing of it but the switch is imported.
    "opentelemetry.sdk",
    "opentelemetry.exporter",
    "opentelemetry.proto",
    "google.protobuf",
    "requests",
    "botocore.auth",
    "courtside.tracing.provider",
    "courtside.tracing.database",
    "courtside.tracing.cache",
    "courtside.tracing.sigv4",
    "courtside.tracing.settings",
)


def _modules_after_a_cold_request(
    child: str, migrated: Path, tmp_path: Path, function_name: str
) -> set[str]:
    """The modules a new Lambda-like process (`child`, on a copy of the migrated SQLite file
    `migrated`) has imported once it answered its first request."""
    database = tmp_path / "cold.db"
    shutil.copyfile(migrated, database)
    completed = subprocess.run(
        [sys.executable, "-c", child, str(EVENT)],
        env=child_env(f"sqlite+aiosqlite:///{database}", function_name),
        check=True,
        capture_output=True,
        text=True,
    )
    return set(json.loads(completed.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("database", ["sqlite"])
def test_a_cold_public_request_imports_only_the_public_api(tmp_path, database, migrated_sqlite):
    modules = _modules_after_a_cold_request(COLD_CHILD, migrated_sqlite, tmp_path, "courtside-test")
    assert within(modules, NOT_ON_THE_PUBLIC_COLD_PATH) == []
    assert "courtside.routers.reference" in modules


WEB_COLD_CHILD = """
import json, sys
from courtside.lambda_services.web import handler
event = json.load(open(sys.argv[1]))
event["rawPath"] = event["requestContext"]["http"]["path"] = "/"
event["rawQueryString"] = ""
event["headers"]["accept"] = "text/html"
class Context:
    aws_request_id = "cold"
response = handler(event, Context())
assert response["statusCode"] in (200, 303), response["statusCode"]
print(json.dumps(sorted(sys.modules)))
"""

NOT_ON_THE_WEB_SERVICES_FIRST_PAGE = (
    "courtside.web.league_pages",
    "courtside.web.track_record_pages",
    "courtside.web.auth_pages",
    "courtside.web.sso_pages",
    "courtside.web.account_pages",
    "courtside.web.account_manage",
    "courtside.web.account_links",
    "courtside.web.admin_pages",
    "courtside.web.admin_flag_pages",
    "courtside.web.admin_user_pages",
    "courtside.web.admin_key_pages",
    "courtside.auth.oidc_flow",
    "pydantic.v1",
    "courtside.web.pages",
    "courtside.web.record_unit",
    "courtside.web.analytics_html",
    "courtside.web.charts",
    "courtside.services.analytics",
    "courtside.models.credentials",
)
"""The board's group only (`web`): the record, league, account and admin pages are groups of
their own; API keys and e-mailed account links are mapped in a model module of their own."""


def test_a_cold_web_service_registers_only_the_boards_group_for_its_first_page(
    tmp_path, migrated_sqlite
):
    modules = _modules_after_a_cold_request(
        WEB_COLD_CHILD, migrated_sqlite, tmp_path, "courtside-test-web"
    )
    assert "courtside.web.board_pages" in modules
    assert sorted(modules.intersection(NOT_ON_THE_WEB_SERVICES_FIRST_PAGE)) == []


WEB_FIRST_PAGE_AND_ICON_CHILD = """
import json, sys
from courtside.lambda_services.web import handler
template = json.load(open(sys.argv[1]))
class Context:
    aws_request_id = "cold"
def get(path, expected):
    event = json.loads(json.dumps(template))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = ""
    event["headers"]["accept"] = "text/html"
    response = handler(event, Context())
    assert response["statusCode"] in expected, (path, response["statusCode"])
    return response
get("/", (200, 303))
assert get("/favicon.ico", (200,))["headers"]["content-type"] == "image/x-icon"
assert "<html" in get("/no-such-page", (404,))["body"]
print(json.dumps(sorted(sys.modules)))
"""


def test_the_icon_and_an_html_error_page_load_no_other_pages_group(tmp_path, migrated_sqlite):
    """A browser asks for `/favicon.ico` right after its first page, and an HTML error can be
    any instance's first answer: both are the board's group's (`web.site_pages`), so neither
    loads the record's pages the first `GET /` was spared."""
    modules = _modules_after_a_cold_request(
        WEB_FIRST_PAGE_AND_ICON_CHILD, migrated_sqlite, tmp_path, "courtside-test-web"
    )
    assert "courtside.web.site_pages" in modules
    assert sorted(modules.intersection(NOT_ON_THE_WEB_SERVICES_FIRST_PAGE)) == []


SIGNED_IN_WEB_COLD_CHILD = """
import json, sys
import courtside.auth.tokens as tokens
from courtside.settings import get_auth_settings
decoded = []
real_decode = tokens.decode_token
def counting_decode(token):
    decoded.append(token)
    return real_decode(token)
tokens.decode_token = counting_decode  # before the routes import it
from courtside.lambda_services.web import handler
event = json.load(open(sys.argv[1]))
event["rawPath"] = event["requestContext"]["http"]["path"] = "/"
event["rawQueryString"] = ""
event["headers"]["accept"] = "text/html"
issued = tokens.issue_token(user_id=1, role="Consumer", token_version=0)
event["cookies"] = [f"__Host-{get_auth_settings().session_cookie_name}={issued.token}"]
class Context:
    aws_request_id = "cold"
response = handler(event, Context())
assert response["statusCode"] in (200, 303), response["statusCode"]
assert decoded == [issued.token], decoded
print(json.dumps(sorted(sys.modules)))
"""

NOT_ON_A_SIGNED_IN_COLD_PATH = ("jose", "ecdsa", "rsa", "pyasn1", "cryptography")
"""Session tokens are HS256 (`hmac`): python-jose and its key backends are for OIDC only."""


def test_a_cold_signed_in_web_request_imports_no_jwt_library_or_key_backend(
    tmp_path, migrated_sqlite
):
    modules = _modules_after_a_cold_request(
        SIGNED_IN_WEB_COLD_CHILD, migrated_sqlite, tmp_path, "courtside-test-web"
    )
    assert within(modules, NOT_ON_A_SIGNED_IN_COLD_PATH) == []
    assert sorted(modules.intersection(NOT_ON_THE_WEB_SERVICES_FIRST_PAGE)) == []
    assert "courtside.auth.tokens" in modules


def test_fastapi_still_refuses_a_pydantic_v1_model_once_one_exists():
    """`courtside.main` answers FastAPI's v1 check without importing pydantic.v1; a v1 model
    can only exist once it is imported, and then FastAPI's own check answers."""
    import warnings

    from fastapi import APIRouter
    from fastapi.exceptions import PydanticV1NotSupportedError

    import courtside.main  # noqa: F401  (installs the check)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydantic import v1

    class Old(v1.BaseModel):
        x: int

    with pytest.raises(PydanticV1NotSupportedError):
        APIRouter().get("/old", response_model=Old)(lambda: None)
