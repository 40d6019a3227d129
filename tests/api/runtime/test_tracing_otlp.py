"""One request's trace, as the app really exports it: a real OTLP/HTTP receiver on 127.0.0.1
(tests/otlp_receiver.py: protobuf decoded with `opentelemetry-proto`), the app in a process of
its own with `OTEL_ENABLED=true`, this machine's PostgreSQL or SQLite, and its Redis.

- under uvicorn (`make run`'s command line) on PostgreSQL;
- the Lambda handler in a fresh process, on Lambda settings (Powertools' log lines), its exports
  signed with SigV4 from credentials in the environment, checked by the receiver as AWS would:
  the one path of the deployed functions that cannot run here is X-Ray itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.api.runtime.conftest import EVENTS_DIR
from tests.conftest import REDIS_PREFIX, REDIS_URL
from tests.otlp_receiver import AwsCredentials, OtlpReceiver, ReceivedSpan, verify_sigv4
from tests.servers import REPO, AppInstance

SERVER, CLIENT = 2, 3  # opentelemetry.proto.trace.v1.Span.SpanKind
CREDENTIALS = AwsCredentials(
    access_key="AKIDEXAMPLE0TRACING",
    secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    token="session-token-of-the-function-role",
)


def _one_request(spans: list[ReceivedSpan], request_id: str) -> list[ReceivedSpan]:
    """The spans of the trace whose server span is the request `request_id`'s."""
    servers = [s for s in spans if s.attributes.get("courtside.request_id") == request_id]
    if len(servers) != 1:
        return []
    return [s for s in spans if s.trace_id == servers[0].trace_id]


def _complete(request_id: str):
    """The request's server span has arrived with a database and a Redis span under it."""

    def check(spans: list[ReceivedSpan]) -> bool:
        trace = _one_request(spans, request_id)
        systems = {s.attributes.get("db.system.name") for s in trace}
        return any(s.kind == SERVER for s in trace) and "redis" in systems and len(systems) > 2

    return check


def assert_request_tree(trace: list[ReceivedSpan], database: str) -> tuple[ReceivedSpan, ...]:
    """server -> each database statement, server -> each Redis round trip; one trace id."""
    (server,) = [s for s in trace if s.kind == SERVER]
    children = [s for s in trace if s is not server]
    statements = [s for s in children if s.attributes.get("db.system.name") == database]
    round_trips = [s for s in children if s.attributes.get("db.system.name") == "redis"]
    assert len(trace) >= 3
    assert statements
    assert round_trips
    assert {s.trace_id for s in trace} == {server.trace_id}
    assert len(server.trace_id) == 32 and int(server.trace_id, 16)
    assert server.parent_span_id == ""  # a root: a new trace per request
    for child in children:
        assert child.kind == CLIENT, child.name
        assert child.parent_span_id == server.span_id, child.name
    assert len({s.span_id for s in trace}) == len(trace)
    assert any(s.attributes.get("db.query.text", "").startswith("SELECT") for s in statements)
    assert {s.name for s in round_trips} >= {"redis MGET"}
    return server, *children


def test_one_request_is_one_trace_under_uvicorn_on_postgresql(postgres_url, tmp_path):
    with OtlpReceiver() as receiver:
        app = AppInstance(
            {
                "OTEL_ENABLED": "true",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.url,
                "OTEL_SERVICE_NAME": "courtside-test",
                "OTEL_BSP_SCHEDULE_DELAY": "50",
                "LOG_LEVEL": "INFO",
                "DATABASE_URL": postgres_url,
                "REDIS_URL": REDIS_URL,
                "CACHE_PREFIX": f"{REDIS_PREFIX}:otlp-{uuid.uuid4().hex[:8]}",
            },
            tmp_path / "uvicorn.log",
        )
        try:
            response = httpx.get(f"{app.base}/v1/teams", timeout=10)
            request_id = response.headers["x-request-id"]
            spans = receiver.wait_for(_complete(request_id))
        finally:
            app.stop()
    assert response.status_code == 200
    server, *_ = assert_request_tree(_one_request(spans, request_id), "postgresql")
    assert server.name == "GET /v1/teams"
    assert server.attributes["http.route"] == "/v1/teams"
    assert server.attributes["http.response.status_code"] == 200
    assert server.resource["service.name"] == "courtside-test"
    assert all(r.status == 200 for r in receiver.requests)
    # The request's log line names the same trace.
    lines = [json.loads(x) for x in app.log.read_text().splitlines() if x.startswith("{")]
    (line,) = [x for x in lines if x.get("request_id") == request_id]
    assert line["trace_id"] == server.trace_id


def test_the_lambda_handler_signs_its_exports_and_logs_the_trace(tmp_path):
    from courtside.migrate import upgrade

    database = f"sqlite+aiosqlite:///{tmp_path / 'lambda.db'}"
    upgrade(database)
    script = (
        "import json, sys\n"
        "from types import SimpleNamespace\n"
        "from courtside.lambda_handler import handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "context = SimpleNamespace(aws_request_id='traced-1', client_context=None, identity=None)\n"
        "print('RESULT ' + json.dumps(handler(event, context)))\n"
    )
    with OtlpReceiver(credentials=CREDENTIALS, region="eu-west-1") as receiver:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "REDIS_", "PYTEST_", "OTEL_", "AWS_"))
        }
        env.update(
            PYTHONPATH=str(REPO / "api"),
            DATABASE_URL=database,
            REDIS_URL=REDIS_URL,
            CACHE_PREFIX=f"{REDIS_PREFIX}:otlp-{uuid.uuid4().hex[:8]}",
            ENVIRONMENT="local",
            LOG_LEVEL="INFO",
            AWS_LAMBDA_FUNCTION_NAME="courtside-test-public",
            AWS_REGION="eu-west-1",
            # What the stack sets (infra/tracing.py), the endpoint aside: X-Ray is not here.
            OTEL_ENABLED="true",
            OTEL_SERVICE_NAME="courtside-test-public",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.url,
            OTEL_EXPORTER_SIGV4_REGION="eu-west-1",
            # What Lambda sets from the function's role.
            AWS_ACCESS_KEY_ID=CREDENTIALS.access_key,
            AWS_SECRET_ACCESS_KEY=CREDENTIALS.secret_key,
            AWS_SESSION_TOKEN=CREDENTIALS.token or "",
            _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0",
        )
        completed = subprocess.run(
            [sys.executable, "-c", script, str(EVENTS_DIR / "function_url_teams.json")],
            env=env,
            cwd=REPO / "api",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        # The handler flushed before returning: every span is already here.
        spans = receiver.spans
    result = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    assert json.loads(result.removeprefix("RESULT "))["statusCode"] == 200
    assert receiver.requests, "nothing was exported"
    assert [(r.status, r.problem) for r in receiver.requests] == [(200, "")] * len(
        receiver.requests
    )
    for request in receiver.requests:
        assert request.headers["Authorization"].startswith(
            f"AWS4-HMAC-SHA256 Credential={CREDENTIALS.access_key}/"
        )
        assert "/eu-west-1/xray/aws4_request" in request.headers["Authorization"]
    trace = _one_request(spans, "traced-1")
    server, *_ = assert_request_tree(trace, "sqlite")
    assert server.resource["service.name"] == "courtside-test-public"
    # Powertools' lines carry the trace: W3C hex, and in X-Ray's notation.
    lines = [json.loads(x) for x in completed.stdout.splitlines() if x.startswith("{")]
    (request_line,) = [x for x in lines if x.get("logger") == "courtside.request"]
    assert request_line["correlation_id"] == "traced-1"
    assert request_line["trace_id"] == server.trace_id
    xray = f"1-{server.trace_id[:8]}-{server.trace_id[8:]}"
    assert request_line["xray_trace_id"] == xray


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, ""),
        ({"body": b"tampered"}, "signature does not match"),
        ({"secret": "another-secret"}, "signature does not match"),
        ({"region": "us-east-1"}, "signed for AKIDEXAMPLE0TRACING/us-east-1/xray"),
        ({"drop": "x-amz-security-token"}, "X-Amz-Security-Token"),
        ({"drop": "authorization"}, "not a SigV4 Authorization header"),
    ],
)
def test_the_receiver_refuses_what_aws_would_refuse(change, problem):
    """The check above can fail: a request signed by the app's signer, then altered."""
    from courtside.tracing.sigv4 import EnvironmentCredentials, sign

    url = "http://127.0.0.1:4318/v1/traces"
    body = b"\x0a\x02spans"
    headers = {"content-type": "application/x-protobuf", "user-agent": "OTel"}
    secret = change.get("secret", CREDENTIALS.secret_key)
    credentials = EnvironmentCredentials(CREDENTIALS.access_key, secret, CREDENTIALS.token)
    region = change.get("region", "eu-west-1")
    headers.update(sign("POST", url, body, headers, region=region, credentials=credentials))
    headers = {k: v for k, v in headers.items() if k.lower() != change.get("drop")}
    found = verify_sigv4(
        "POST",
        url,
        headers,
        change.get("body", body),
        credentials=CREDENTIALS,
        region="eu-west-1",
    )
    assert (problem in found) if problem else found == ""


def test_a_signed_export_reaches_a_receiver_that_checks_it(monkeypatch):
    """The exporter the settings build (in this process): spans signed and accepted."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from courtside.tracing.provider import otlp_exporter
    from courtside.tracing.settings import TracingSettings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CREDENTIALS.token or "")
    with OtlpReceiver(credentials=CREDENTIALS, region="eu-west-1") as receiver:
        settings = TracingSettings(
            otel_exporter_otlp_traces_endpoint=receiver.url, otel_exporter_sigv4_region="eu-west-1"
        )
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(otlp_exporter(settings)))
        with provider.get_tracer("test").start_as_current_span("signed"):
            pass
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rotated-but-not-on-the-receiver")
        with provider.get_tracer("test").start_as_current_span("refused"):
            pass
        provider.shutdown()
    assert [(r.status, [s.name for s in r.spans]) for r in receiver.requests] == [
        (200, ["signed"]),
        (403, []),
    ]
