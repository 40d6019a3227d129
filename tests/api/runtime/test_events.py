"""The Lambda handler on real AWS payload shapes: Function URL (2.0), the same request as
CloudFront forwards it, API Gateway REST (v1) and HTTP API (v2)."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import FastAPI
from mangum import Mangum

from tests.api.runtime.conftest import PNG_BYTES, LambdaContext, load_event
from tests.helpers import make_teams

PUBLIC_HOST = "api.courtside.example.com"
FUNCTION_URL_HOST = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"


def build_handler(app: FastAPI) -> Mangum:
    from courtside.lambda_handler import build_handler

    return build_handler(app)


def invoke(
    app: FastAPI, event: dict[str, Any], context: LambdaContext | None = None
) -> dict[str, Any]:
    return build_handler(app)(event, context or LambdaContext())


def test_function_url_query_strings_and_cookies(make_app, lambda_loop):
    response = invoke(make_app(), load_event("function_url_get_query.json"))
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["method"] == "GET"
    assert body["query"] == [["team", "BOS"], ["team", "NYK"], ["q", "a b&c"], ["empty", ""]]
    assert body["cookies"] == {"session": "abc123", "theme": "dark"}
    assert body["scheme"] == "https"
    assert body["client"] == "198.51.100.23"
    # On Lambda the request id is Lambda's, not the one the client sent.
    assert response["headers"]["x-request-id"] == LambdaContext.aws_request_id


def test_function_url_base64_request_body(make_app, lambda_loop):
    event = load_event("function_url_post_base64.json")
    response = invoke(make_app(), event)
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["method"] == "POST"
    assert base64.b64decode(body["body_b64"]) == base64.b64decode(event["body"])
    assert len(base64.b64decode(body["body_b64"])) == 256 + len("ünïcode".encode())


def test_function_url_several_set_cookies_become_the_cookies_list(make_app, lambda_loop):
    response = invoke(make_app(), load_event("function_url_set_cookies.json"))
    assert response["statusCode"] == 200
    cookies = response["cookies"]
    assert len(cookies) == 3
    assert {cookie.split("=", 1)[0] for cookie in cookies} == {"session", "csrf", "theme"}
    assert any("HttpOnly" in c and "Secure" in c for c in cookies if c.startswith("session="))
    assert "set-cookie" not in response["headers"]


def test_function_url_binary_response_is_base64(make_app, lambda_loop):
    response = invoke(make_app(), load_event("function_url_binary.json"))
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert response["headers"]["content-type"] == "image/png"
    assert base64.b64decode(response["body"]) == PNG_BYTES


def test_json_response_is_text_not_base64(make_app, lambda_loop):
    response = invoke(make_app(), load_event("function_url_set_cookies.json"))
    assert response["isBase64Encoded"] is False
    assert json.loads(response["body"]) == {"ok": True}


def test_unhandled_error_is_a_json_500_without_internals(make_app, lambda_loop):
    event = load_event("function_url_teams.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/_runtime/boom"
    response = invoke(make_app(), event)
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["error"]["code"] == "internal_error"
    assert "secret internals" not in response["body"]


async def test_function_url_public_get_reads_the_database_then_the_cache(make_app, session, cache):
    await make_teams(session)
    await session.commit()
    handler = build_handler(make_app())
    event = load_event("function_url_teams.json")
    first = await _invoke_async(handler, event)
    second = await _invoke_async(handler, event)
    assert first["statusCode"] == second["statusCode"] == 200
    assert json.loads(first["body"])["total"] == 4
    assert (first["headers"]["x-cache"], second["headers"]["x-cache"]) == ("miss", "hit")
    assert first["headers"]["etag"] == second["headers"]["etag"]


async def _invoke_async(handler: Mangum, event: dict[str, Any]) -> dict[str, Any]:
    """Mangum drives the app on the current event loop; inside an async test that loop is
    running, so call the adapter's pieces the way `Mangum.__call__` does, awaiting the app."""
    from mangum.protocols import HTTPCycle

    lambda_handler = handler.infer(event, LambdaContext())
    cycle = HTTPCycle(lambda_handler.scope, lambda_handler.body)
    await cycle.run(handler.app)
    return lambda_handler({"status": cycle.status, "headers": cycle.headers, "body": cycle.body})


# CloudFront in front of the Function URL -------------------------------------------------


def test_cloudfront_redirect_uses_the_public_host(make_app, lambda_loop):
    app = make_app(BEHIND_CLOUDFRONT="true")
    response = invoke(app, load_event("cloudfront_function_url_redirect.json"))
    assert response["statusCode"] == 303
    assert response["headers"]["location"] == f"https://{PUBLIC_HOST}/_runtime/echo"


def test_cloudfront_absolute_url_host_and_viewer_authorization(make_app, lambda_loop):
    event = load_event("cloudfront_function_url_redirect.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/_runtime/echo"
    response = invoke(make_app(BEHIND_CLOUDFRONT="true"), event)
    body = json.loads(response["body"])
    assert body["url"] == f"https://{PUBLIC_HOST}/_runtime/echo?next=%2Fv1%2Fteams"
    assert body["host"] == PUBLIC_HOST
    # OAC's SigV4 Authorization is replaced by the viewer's, copied by the viewer function.
    assert body["authorization"] == "Bearer viewer-token-123"


def test_cloudfront_trailing_slash_redirect_of_the_real_api_uses_the_public_host(
    make_app, lambda_loop
):
    event = load_event("cloudfront_function_url_redirect.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/teams/"
    event["rawQueryString"] = ""
    response = invoke(make_app(BEHIND_CLOUDFRONT="true"), event)
    assert response["statusCode"] == 307
    assert response["headers"]["location"] == f"https://{PUBLIC_HOST}/v1/teams"


def test_forwarded_headers_are_not_trusted_unless_behind_cloudfront(make_app, lambda_loop):
    app = make_app(BEHIND_CLOUDFRONT="false")
    response = invoke(app, load_event("cloudfront_function_url_redirect.json"))
    assert response["headers"]["location"] == f"https://{FUNCTION_URL_HOST}/_runtime/echo"
    event = load_event("cloudfront_function_url_redirect.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/_runtime/echo"
    body = json.loads(invoke(app, event)["body"])
    assert body["host"] == FUNCTION_URL_HOST
    assert body["authorization"].startswith("AWS4-HMAC-SHA256")


# API Gateway --------------------------------------------------------------------------------


def test_api_gateway_rest_v1(make_app, lambda_loop):
    response = invoke(make_app(), load_event("apigw_rest_v1.json"))
    assert response["statusCode"] == 200
    assert "multiValueHeaders" in response
    body = json.loads(response["body"])
    assert body["method"] == "POST"
    assert body["path"] == "/_runtime/echo"
    assert body["query"] == [["team", "BOS"], ["team", "NYK"], ["q", "a b"]]
    assert body["cookies"] == {"session": "abc123", "theme": "dark"}
    assert json.loads(base64.b64decode(body["body_b64"])) == {"stake_cents": 500, "note": "café"}
    assert response["headers"]["x-request-id"] == LambdaContext.aws_request_id


def test_api_gateway_http_v2(make_app, lambda_loop):
    response = invoke(make_app(), load_event("apigw_http_v2.json"))
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["method"] == "DELETE"
    assert body["query"] == [["team", "BOS"], ["team", "NYK"], ["q", "a b"]]
    assert body["cookies"] == {"session": "abc123", "theme": "dark"}
    assert body["url"].startswith("https://f1e2d3c4b5.execute-api.us-east-1.amazonaws.com/")


def test_api_gateway_rest_v1_binary_response_is_base64(make_app, lambda_loop):
    event = load_event("apigw_rest_v1.json")
    event["path"] = "/_runtime/binary"
    event["httpMethod"] = "GET"
    response = invoke(make_app(), event)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == PNG_BYTES
