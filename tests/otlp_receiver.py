"""An OTLP/HTTP traces receiver for tests: what X-Ray's OTLP endpoint or a collector would be.

`OtlpReceiver` listens on 127.0.0.1 (a free port), accepts `POST /v1/traces` with
`Content-Type: application/x-protobuf`, decodes the body with `opentelemetry-proto` (the
exporter's own message types) into `ReceivedSpan`s, and answers 200 with an empty
`ExportTraceServiceResponse`, as the OTLP specification says. Anything else is refused (404,
415, 400), so an exporter sending the wrong thing fails the test.

With `credentials`, it checks every request's AWS Signature Version 4 the way AWS would:
`verify_sigv4` rebuilds the canonical request from what arrived on the wire (method, path,
the signed headers, the body) with botocore and compares signatures; a request that is not
signed for service `xray` in the expected region, or whose signature does not match, gets 403
and its spans are not kept.
"""

from __future__ import annotations

import gzip
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[A-Z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request, SignedHeaders=(?P<headers>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass(frozen=True)
class AwsCredentials:
    access_key: str
    secret_key: str
    token: str | None = None


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status_code: int


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 200
    problem: str = ""
    spans: list[ReceivedSpan] = field(default_factory=list)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def decode(body: bytes) -> list[ReceivedSpan]:
    """The spans of one OTLP ExportTraceServiceRequest (protobuf)."""
    message = ExportTraceServiceRequest()
    message.ParseFromString(body)
    spans = []
    for resource_spans in message.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        name=span.name,
                        kind=span.kind,
                        attributes={a.key: _value(a.value) for a in span.attributes},
                        resource=resource,
                        status_code=span.status.code,
                    )
                )
    return spans


def verify_sigv4(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    credentials: AwsCredentials,
    region: str,
    service: str = "xray",
) -> str:
    """'' if the request carries a valid SigV4 signature for `service` in `region` made with
    `credentials`, else what is wrong with it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    lower = {k.lower(): v for k, v in headers.items()}
    match = AUTHORIZATION.fullmatch(lower.get("authorization", ""))
    if match is None:
        return f"not a SigV4 Authorization header: {lower.get('authorization')!r}"
    if (match["key"], match["region"], match["service"]) != (
        credentials.access_key,
        region,
        service,
    ):
        return f"signed for {match['key']}/{match['region']}/{match['service']}"
    amz_date = lower.get("x-amz-date", "")
    if not amz_date.startswith(match["date"]):
        return f"X-Amz-Date {amz_date!r} is not the credential scope's day"
    if lower.get("x-amz-security-token") != credentials.token:
        return "X-Amz-Security-Token is not the session token"
    signed = match["headers"].split(";")
    if not {"host", "x-amz-date"} <= set(signed):
        return f"host and x-amz-date must be signed: {signed}"
    request = AWSRequest(
        method=method,
        url=url,
        data=body,
        headers={name: lower[name] for name in signed if name != "host"},
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(credentials, service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if expected != match["signature"]:
        return "signature does not match the request"
    return ""


class OtlpReceiver:
    """See the module docstring. Use as a context manager; `url` is the traces endpoint."""

    def __init__(
        self, *, credentials: AwsCredentials | None = None, region: str = "eu-west-1"
    ) -> None:
        self.credentials = credentials
        self.region = region
        self.requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1/traces"

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return [span for request in self.requests for span in request.spans]

    def wait_for(
        self, predicate: Callable[[list[ReceivedSpan]], bool], timeout: float = 20
    ) -> list[ReceivedSpan]:
        """The spans received so far, once `predicate(spans)` holds (AssertionError after
        `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spans = self.spans
            if predicate(spans):
                return spans
            time.sleep(0.05)
        raise AssertionError(
            f"no matching spans within {timeout}s; got {[s.name for s in self.spans]}, "
            f"requests {[(r.status, r.problem) for r in self.requests]}"
        )

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> ReceivedRequest:
        request = ReceivedRequest(path=path, headers=headers, body=body)
        lower = {k.lower(): v for k, v in headers.items()}
        if path != "/v1/traces":
            request.status, request.problem = 404, f"unknown path {path}"
        elif lower.get("content-type") != "application/x-protobuf":
            request.status, request.problem = 415, f"content type {lower.get('content-type')}"
        elif self.credentials is not None and (
            problem := verify_sigv4(
                "POST",
                f"http://{lower.get('host')}{path}",
                headers,
                body,
                credentials=self.credentials,
                region=self.region,
            )
        ):
            request.status, request.problem = 403, problem
        else:
            payload = gzip.decompress(body) if lower.get("content-encoding") == "gzip" else body
            try:
                request.spans = decode(payload)
            except Exception as exc:  # a body that is not an ExportTraceServiceRequest
                request.status, request.problem = 400, repr(exc)
        with self._lock:
            self.requests.append(request)
        return request

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as X-Ray's endpoint

            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                request = receiver._receive(self.path, dict(self.headers.items()), body)
                reply = (
                    ExportTraceServiceResponse().SerializeToString()
                    if request.status == 200
                    else request.problem.encode()
                )
                self.send_response(request.status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        return Handler
