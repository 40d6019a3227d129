"""The release check's requests on the real app (real PostgreSQL and Redis), through Mangum as
on Lambda: the Function URL events the pre-traffic hook sends are understood, and every
service answers its checks the way the hook expects (infra/release_checks.py). A check the app
cannot pass would fail every deploy; one it passes by accident would check nothing."""

from __future__ import annotations

from typing import Any

import pytest

from courtside.services_registry import SERVICES, WHOLE_APP, Service
from infra.release_check.handler import Answer, Check, evaluate, function_url_event
from infra.release_checks import checks_for
from tests.api.runtime.test_events import _invoke_async, build_handler
from tests.helpers import make_teams

HOST = "api.courtside.example.com"


def _answer(response: dict[str, Any]) -> Answer:
    assert response.get("isBase64Encoded") is False  # the checks' answers are text
    return Answer(response["statusCode"], response["headers"], response["body"])


@pytest.mark.parametrize("service", [WHOLE_APP, *SERVICES], ids=lambda s: s.name)
async def test_each_service_passes_its_release_checks(service: Service, make_app, session, cache):
    await make_teams(session)
    await session.commit()
    app = make_app(BEHIND_CLOUDFRONT="true")
    if service is not WHOLE_APP:
        from courtside.main import create_app

        app = create_app(service=service.name)
    handler = build_handler(app)

    for check in checks_for(service):
        answer = _answer(await _invoke_async(handler, function_url_event(check, host=HOST)))
        assert evaluate(check, answer) == "", (service.name, check)


async def test_a_check_the_app_does_not_pass_is_reported(make_app, session, cache):
    handler = build_handler(make_app(BEHIND_CLOUDFRONT="true"))
    wrong = Check("GET", "/v1/teams", 200, "text/html")  # the API answers JSON

    answer = _answer(await _invoke_async(handler, function_url_event(wrong, host=HOST)))

    assert evaluate(wrong, answer).startswith("content-type 'application/json")


async def test_a_path_of_another_service_fails_the_check(session, cache, make_app):
    """Split, a service answers only its own paths: the web function's check on the public
    function would fail, so each function is checked on its own groups only."""
    make_app(BEHIND_CLOUDFRONT="true")  # the settings
    from courtside.main import create_app

    handler = build_handler(create_app(service="public"))
    (login,) = [c for c in checks_for(WHOLE_APP) if c.path == "/login"]

    answer = _answer(await _invoke_async(handler, function_url_event(login, host=HOST)))

    assert evaluate(login, answer).startswith("status 404")
