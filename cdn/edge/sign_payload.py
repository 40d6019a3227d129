"""Lambda@Edge origin-request handler: add the body's SHA-256 for Origin Access Control.

CloudFront's OAC signs origin requests to the Lambda Function URL with SigV4, but for requests
with a body Lambda requires the ``x-amz-content-sha256`` header, which browsers and ordinary
clients never send. CloudFront includes the body in this event (``include_body``), so the hash
is computed here and signed by OAC afterwards.

A viewer may send its own ``x-amz-content-sha256``: OAC would sign it as given. On bodiless
requests it is removed (Lambda needs none there); on requests with a body it is always replaced by
the real hash, whatever its spelling.

Bodies over CloudFront's limit arrive truncated (``inputTruncated``); hashing a truncated body
would give Lambda a wrong hash and the viewer a baffling 403, so such requests are answered at
the edge with 413 in the API's JSON error shape.

Standard library only, no module-level I/O: this runs in every edge location.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

CONTENT_SHA256 = "x-amz-content-sha256"
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _error(status: int, description: str, code: str, message: str) -> dict[str, Any]:
    body = json.dumps({"error": {"code": code, "message": message, "details": None}})
    return {
        "status": str(status),
        "statusDescription": description,
        "headers": {
            "content-type": [{"key": "Content-Type", "value": "application/json"}],
            "cache-control": [{"key": "Cache-Control", "value": "no-store"}],
        },
        "body": body,
    }


def body_bytes(body: dict[str, Any]) -> bytes:
    """The raw request body from CloudFront's ``body`` object (base64 or text encoding)."""
    data = body.get("data") or ""
    if body.get("encoding", "base64") == "base64":
        return base64.b64decode(data, validate=True)
    return str(data).encode("utf-8")


def _drop_viewer_hash(headers: dict[str, Any]) -> None:
    """Remove any viewer-supplied ``x-amz-content-sha256`` (CloudFront lower-cases keys)."""
    for key in [k for k in headers if k.lower() == CONTENT_SHA256]:
        del headers[key]


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Return the request with ``x-amz-content-sha256`` set, or a 413 response."""
    request: dict[str, Any] = event["Records"][0]["cf"]["request"]
    headers: dict[str, Any] = request.setdefault("headers", {})
    _drop_viewer_hash(headers)
    body = request.get("body")
    method = str(request.get("method", "GET")).upper()
    has_data = bool(body and body.get("data"))
    if not has_data and method in BODYLESS_METHODS:
        return request
    if body and body.get("inputTruncated"):
        return _error(
            413,
            "Payload Too Large",
            "payload_too_large",
            "The request body is larger than the CDN accepts.",
        )
    try:
        payload = body_bytes(body) if body else b""
    except (binascii.Error, ValueError):
        return _error(400, "Bad Request", "bad_request", "The request body could not be read.")
    headers[CONTENT_SHA256] = [
        {"key": "x-amz-content-sha256", "value": hashlib.sha256(payload).hexdigest()}
    ]
    return request
