"""The edge code in front of the Function URL: payload signing and the viewer-request function."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import shutil
import subprocess
from typing import Any

import pytest

from cdn.edge import sign_payload
from cdn.infrastructure import VIEWER_REQUEST_FILE

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _request(event: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = event["Records"][0]["cf"]["request"]
    return request


def _sha(request: dict[str, Any]) -> str:
    headers = request["headers"]["x-amz-content-sha256"]
    assert headers[0]["key"] == "x-amz-content-sha256"
    value: str = headers[0]["value"]
    return value


def test_base64_body_gets_its_sha256(origin_request_event):
    raw = base64.b64decode(_request(origin_request_event)["body"]["data"])

    result = sign_payload.handler(origin_request_event, None)

    assert _sha(result) == hashlib.sha256(raw).hexdigest()
    assert raw == b"username=alice%40example.com&password=s3cret%21%21"


def test_other_headers_and_request_are_kept(origin_request_event):
    before = copy.deepcopy(_request(origin_request_event))

    result = sign_payload.handler(origin_request_event, None)

    assert result["uri"] == "/token"
    assert result["method"] == "POST"
    assert result["body"] == before["body"]
    assert {k: v for k, v in result["headers"].items() if k != "x-amz-content-sha256"} == before[
        "headers"
    ]


def test_text_encoded_body_is_hashed_as_utf8(origin_request_event):
    body = {"name": "Jokić", "amount": 10}
    request = _request(origin_request_event)
    request["body"].update(encoding="text", data=json.dumps(body, ensure_ascii=False))

    result = sign_payload.handler(origin_request_event, None)

    expected = hashlib.sha256(json.dumps(body, ensure_ascii=False).encode("utf-8")).hexdigest()
    assert _sha(result) == expected


def test_binary_body_is_hashed_byte_for_byte(origin_request_event):
    payload = bytes(range(256)) * 4
    _request(origin_request_event)["body"]["data"] = base64.b64encode(payload).decode()

    result = sign_payload.handler(origin_request_event, None)

    assert _sha(result) == hashlib.sha256(payload).hexdigest()


def test_bodiless_get_is_returned_unchanged(origin_request_event):
    request = _request(origin_request_event)
    request["method"] = "GET"
    request["uri"] = "/v1/teams"
    request["body"] = {
        "action": "read-only",
        "data": "",
        "encoding": "base64",
        "inputTruncated": False,
    }
    before = copy.deepcopy(request)

    result = sign_payload.handler(origin_request_event, None)

    assert result == before
    assert "x-amz-content-sha256" not in result["headers"]


FORGED_SHA256 = "0" * 64


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
@pytest.mark.parametrize("key", ["x-amz-content-sha256", "X-Amz-Content-Sha256"])
def test_viewer_supplied_hash_is_stripped_from_bodiless_requests(origin_request_event, method, key):
    request = _request(origin_request_event)
    request["method"] = method
    del request["body"]
    request["headers"][key] = [{"key": "X-Amz-Content-SHA256", "value": FORGED_SHA256}]

    result = sign_payload.handler(origin_request_event, None)

    assert {k.lower() for k in result["headers"]}.isdisjoint({"x-amz-content-sha256"})
    assert FORGED_SHA256 not in json.dumps(result)
    assert result["method"] == method  # still forwarded, only the header is gone


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_viewer_supplied_hash_is_replaced_by_the_real_one(origin_request_event, method):
    request = _request(origin_request_event)
    request["method"] = method
    raw = base64.b64decode(request["body"]["data"])
    request["headers"]["x-amz-content-sha256"] = [
        {"key": "x-amz-content-sha256", "value": FORGED_SHA256}
    ]

    result = sign_payload.handler(origin_request_event, None)

    assert result["headers"]["x-amz-content-sha256"] == [
        {"key": "x-amz-content-sha256", "value": hashlib.sha256(raw).hexdigest()}
    ]
    assert FORGED_SHA256 not in json.dumps(result)


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT"])
def test_empty_body_on_a_write_method_gets_the_empty_hash(origin_request_event, method):
    request = _request(origin_request_event)
    request["method"] = method
    request["body"]["data"] = ""

    result = sign_payload.handler(origin_request_event, None)

    assert _sha(result) == EMPTY_SHA256


def test_truncated_body_is_refused_at_the_edge_with_413(origin_request_event):
    _request(origin_request_event)["body"]["inputTruncated"] = True

    result = sign_payload.handler(origin_request_event, None)

    assert result["status"] == "413"
    assert "uri" not in result  # a generated response, not a request sent to the origin
    assert result["headers"]["content-type"][0]["value"] == "application/json"
    error = json.loads(result["body"])["error"]
    assert error["code"] == "payload_too_large"
    assert set(error) == {"code", "message", "details"}


def test_undecodable_body_is_a_400_not_a_wrong_hash(origin_request_event):
    _request(origin_request_event)["body"]["data"] = "not base64!!"

    result = sign_payload.handler(origin_request_event, None)

    assert result["status"] == "400"
    assert json.loads(result["body"])["error"]["code"] == "bad_request"


def _run_viewer_request(headers: dict[str, dict[str, str]]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to run the CloudFront Function (cloudfront-js-2.0)")
    event = {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "203.0.113.178"},
        "request": {
            "method": "GET",
            "uri": "/v1/me",
            "querystring": {},
            "headers": headers,
            "cookies": {},
        },
    }
    script = (
        f"{VIEWER_REQUEST_FILE.read_text()}\n"
        f"process.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    )
    out = subprocess.run([node, "-e", script], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_viewer_request_copies_host_and_authorization():
    result = _run_viewer_request(
        {"host": {"value": "api.example.com"}, "authorization": {"value": "Bearer abc.def.ghi"}}
    )

    headers = result["headers"]
    assert headers["x-forwarded-host"] == {"value": "api.example.com"}
    assert headers["x-forwarded-authorization"] == {"value": "Bearer abc.def.ghi"}
    assert headers["host"] == {"value": "api.example.com"}


def test_viewer_request_drops_a_spoofed_forwarded_authorization_and_host():
    result = _run_viewer_request(
        {
            "host": {"value": "api.example.com"},
            "x-forwarded-host": {"value": "evil.example.net"},
            "x-forwarded-authorization": {"value": "Bearer forged"},
        }
    )

    headers = result["headers"]
    assert "x-forwarded-authorization" not in headers
    assert headers["x-forwarded-host"] == {"value": "api.example.com"}
