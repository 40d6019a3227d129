"""Request ids, the one JSON log line per request, and the proxy-headers rewrite, off Lambda
(under an ASGI client, as under uvicorn)."""

from __future__ import annotations

import http
import json
import logging
import re

import httpx
import pytest

from courtside.observability import JsonFormatter, request_id_for
from courtside.proxy_headers import rewrite_scope


@pytest.fixture
def request_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="courtside.request")
    return caplog


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "courtside.request"
    ]


async def test_incoming_request_id_is_echoed_and_logged(client, request_log):
    response = await client.get("/health", headers={"X-Request-ID": "pipeline-run-42.7"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "pipeline-run-42.7"
    (line,) = request_lines(request_log)
    assert line["request_id"] == "pipeline-run-42.7"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/health", 200)
    assert isinstance(line["latency_ms"], float)
    assert line["level"] == "INFO"
    assert line["logger"] == "courtside.request"


@pytest.mark.parametrize(
    "incoming", [None, "", "bad id with spaces", "x" * 200, "\u00e9t\u00e9".encode()]
)
async def test_missing_or_malformed_request_id_is_replaced(client, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    response = await client.get("/health", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_errors_and_refused_bodies_are_logged_with_their_status(client, request_log):
    missing = await client.get("/v1/teams/ZZZ")
    too_large = await client.post(
        "/v1/teams", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
    )
    assert (missing.status_code, too_large.status_code) == (404, 413)
    assert "x-request-id" in too_large.headers
    statuses = [(line["path"], line["status"]) for line in request_lines(request_log)]
    assert statuses == [("/v1/teams/ZZZ", 404), ("/v1/teams", 413)]


def test_log_records_of_a_request_carry_its_id_and_extra_fields():
    from courtside.observability import request_id_var

    token = request_id_var.set("req-77")
    try:
        record = logging.LogRecord(
            "courtside.x", logging.WARNING, __file__, 1, "hi %s", ("you",), None
        )
        record.game_id = 12
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hi you"
    assert line["request_id"] == "req-77"
    assert line["game_id"] == 12
    assert "args" not in line
    assert "msg" not in line


def test_exceptions_are_one_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exception"]


# On Lambda: Powertools' format, the request id as correlation id --------------------------


def _record(name: str, message: str, *args: object, **attributes: object) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(attributes)
    return record


def test_lambda_request_line_is_powertools_json_with_the_fields_at_top_level():
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import FIELDS

    fields = {
        "request_id": "lambda-req-1",
        "method": "GET",
        "path": "/v1/teams",
        "status": 200,
        "latency_ms": 2.5,
    }
    record = _record("courtside.request", "%s %s %s", "GET", "/v1/teams", 200, **{FIELDS: fields})
    text = LambdaFormatter(service="courtside", newline=True).format(record)
    assert text.endswith("}\n")
    assert text.count("\n") == 1
    line = json.loads(text)
    assert line == {
        "level": "INFO",
        "message": "GET /v1/teams 200",
        "timestamp": line["timestamp"],
        "service": "courtside",
        "method": "GET",
        "path": "/v1/teams",
        "status": 200,
        "latency_ms": 2.5,
        "logger": "courtside.request",
        "correlation_id": "lambda-req-1",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["timestamp"])


def test_lambda_lines_of_any_logger_carry_the_requests_correlation_id():
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import request_id_var

    formatter = LambdaFormatter(service="courtside")
    token = request_id_var.set("req-77")
    try:
        line = json.loads(formatter.format(_record("courtside.x", "hi %s", "you", game_id=12)))
    finally:
        request_id_var.reset(token)
    assert (line["message"], line["logger"], line["game_id"]) == ("hi you", "courtside.x", 12)
    assert line["correlation_id"] == "req-77"
    # Outside a request (init), the runtime's request id, if any, is the correlation id.
    runtime = json.loads(formatter.format(_record("courtside.x", "x", aws_request_id="rt-1")))
    assert runtime["correlation_id"] == "rt-1"
    assert "aws_request_id" not in runtime
    idle = json.loads(formatter.format(_record("courtside.x", "x", aws_request_id="")))
    assert "correlation_id" not in idle


def test_a_lambda_record_formatted_twice_gives_the_same_line():
    """The formatter rearranges the record in place; a second handler sees the same line."""
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import FIELDS

    formatter = LambdaFormatter(service="courtside")
    record = _record(
        "courtside.request", "GET / 200", **{FIELDS: {"request_id": "r", "status": 200}}
    )
    record.aws_request_id = "r"
    first = json.loads(formatter.format(record))
    second = json.loads(formatter.format(record))
    assert first == second
    assert (first["correlation_id"], first["status"]) == ("r", 200)


def test_lambda_exceptions_are_one_json_line():
    from courtside.lambda_logging import LambdaFormatter

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = LambdaFormatter(service="courtside").format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert "ValueError: boom" in line["exception"]
    assert line["exception_name"] == "ValueError"


def test_configure_logging_on_lambda_gives_the_runtimes_handler_powertools_formatter():
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import configure_logging

    root = logging.getLogger()
    runtime_handler = logging.StreamHandler()  # stands for awslambdaric's root handler
    saved = (list(root.handlers), root.level)
    switches = ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing", "logAsyncioTasks")
    saved_switches = {name: getattr(logging, name, None) for name in switches}
    root.handlers[:] = [runtime_handler]
    try:
        configure_logging("INFO", on_lambda=True)
        configure_logging("INFO", on_lambda=True)  # idempotent
        assert root.handlers == [runtime_handler]
        formatter = runtime_handler.formatter
        assert isinstance(formatter, LambdaFormatter)
        assert formatter.format(_record("courtside.x", "hello")).endswith("}\n")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, value in saved_switches.items():
            if value is None and name == "logAsyncioTasks":  # Python 3.11 has no such switch
                delattr(logging, name)
            else:
                setattr(logging, name, value)


def _scope(*headers: tuple[bytes, bytes]) -> dict[str, object]:
    return {
        "type": "http",
        "scheme": "https",
        "server": ("abc.lambda-url.us-east-1.on.aws", 443),
        "headers": [(b"host", b"abc.lambda-url.us-east-1.on.aws"), *headers],
    }


def test_lambda_request_id_wins_over_the_header():
    class Context:
        aws_request_id = "lambda-id"

    scope = {**_scope((b"x-request-id", b"client-id")), "aws.context": Context()}
    assert request_id_for(scope) == "lambda-id"
    assert request_id_for(_scope((b"x-request-id", b"client-id"))) == "client-id"


@pytest.mark.parametrize(
    ("forwarded", "expected_host"),
    [
        (b"api.courtside.example.com", "api.courtside.example.com"),
        (b"evil.example, api.courtside.example.com", "api.courtside.example.com"),
        (b"API.Courtside.Example.com:8443", "api.courtside.example.com:8443"),
        (b"bad host/with\\path", "abc.lambda-url.us-east-1.on.aws"),
        (b"", "abc.lambda-url.us-east-1.on.aws"),
    ],
)
def test_forwarded_host_is_taken_only_when_well_formed(forwarded, expected_host):
    scope = rewrite_scope(_scope((b"x-forwarded-host", forwarded)))
    hosts = [value.decode() for key, value in scope["headers"] if key == b"host"]
    assert hosts == [expected_host]
    name, _, port = expected_host.partition(":")
    assert scope["server"] == (name, int(port) if port else 443)


def test_viewer_scheme_comes_from_cloudfront_forwarded_proto():
    scope = rewrite_scope(
        _scope((b"x-forwarded-proto", b"https"), (b"cloudfront-forwarded-proto", b"http"))
    )
    assert scope["scheme"] == "http"
    scope = rewrite_scope(_scope((b"x-forwarded-proto", b"javascript")))
    assert scope["scheme"] == "https"


def test_oac_signature_never_reaches_the_app():
    scope = rewrite_scope(_scope((b"authorization", b"AWS4-HMAC-SHA256 Credential=...")))
    assert [key for key, _ in scope["headers"]] == [b"host"]


async def test_proxy_headers_under_an_asgi_server(monkeypatch, connection, cache):
    from courtside.main import create_app
    from courtside.settings import reset_settings

    monkeypatch.setenv("BEHIND_CLOUDFRONT", "true")
    reset_settings()
    try:
        app = create_app()
    finally:
        monkeypatch.undo()
        reset_settings()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://internal") as http:
        response = await http.get(
            "/v1/teams/",
            headers={"X-Forwarded-Host": "api.courtside.example.com", "X-Forwarded-Proto": "https"},
        )
    assert response.status_code == 307
    assert response.headers["location"] == "https://api.courtside.example.com/v1/teams"


@pytest.mark.parametrize(
    ("fields", "attributes", "context_id", "trace"),
    [
        ({"request_id": "r-1", "method": "GET", "status": 200, "latency_ms": 1.5}, {}, None, None),
        ({"method": "POST", "path": "/token", "status": 401, "note": None}, {}, "ctx-2", None),
        ({"status": 503}, {"aws_request_id": "rt-3"}, None, "Root=1-6741c5a1-0123;Parent=9"),
        ({"status": 200, "path": "/v1/ñ"}, {"aws_request_id": ""}, None, None),
        # the short way writes these itself: escapes, bools, floats, a big int
        (
            {
                "status": 201,
                "path": '/v1/"a"\\b\n\x01\u2028',
                "ok": True,
                "ms": 1e-07,
                "big": 10**20,
            },
            {},
            "id-\u00e9",
            None,
        ),
        ({"status": 200, "flag": False, "ratio": 2.0, "count": -3}, {}, None, None),
        # a type it does not write itself (a list, NaN, an int subclass): the entry's way
        ({"status": 200, "items": [1, "x"]}, {}, None, None),
        ({"status": 200, "ms": float("nan")}, {}, None, None),
        ({"status": http.HTTPStatus.OK}, {}, None, None),
    ],
)
def test_the_request_lines_short_way_writes_what_powertools_writes(
    monkeypatch, fields, attributes, context_id, trace
):
    """`LambdaFormatter.request_line` (every request) skips Powertools' generic path; the text
    must be the one Powertools' own `format` gives for the same record, byte for byte."""
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import FIELDS, request_id_var

    if trace:
        monkeypatch.setenv("_X_AMZN_TRACE_ID", trace)
    else:
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    formatter = LambdaFormatter(service="courtside")

    def record() -> logging.LogRecord:
        return _record("courtside.request", "GET / %s", 200, **{FIELDS: dict(fields)}, **attributes)

    first, second = record(), record()
    second.created, second.msecs = first.created, first.msecs  # the same millisecond
    token = request_id_var.set(context_id)
    try:
        short = formatter.format(first)
        long = formatter.powertools_line(second)
    finally:
        request_id_var.reset(token)
    assert short == long
    assert json.loads(short)["status"] == fields["status"]


@pytest.mark.parametrize(
    ("message", "args", "fields"),
    [
        ("GET / %s", (200,), {"status": 200, "module": "shadowed"}),  # a record attribute
        ("GET / %s", (200,), {"status": 200, "stack_trace": None}),  # Powertools' own key
        ('{"a": 1}', (), {"status": 200}),  # no args: Powertools decodes the JSON message
    ],
)
def test_records_the_short_way_would_write_differently_go_powertools_way(message, args, fields):
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import FIELDS

    formatter = LambdaFormatter(service="courtside")
    first = _record("courtside.request", message, *args, **{FIELDS: dict(fields)})
    second = _record("courtside.request", message, *args, **{FIELDS: dict(fields)})
    second.created, second.msecs = first.created, first.msecs
    assert formatter.format(first) == formatter.powertools_line(second)


def _timestamps() -> list[float]:
    """Now, random instants over 1970-2096, and the edges of a second and of a millisecond
    (where rounding to the microsecond carries, or lands half-way)."""
    import random
    import time

    chance = random.Random(23)
    found = [0.0, 1.0, time.time()]
    for _ in range(3000):
        whole = float(chance.randrange(0, 4_000_000_000))
        found += [whole + chance.random(), whole + chance.randrange(1_000_000) / 1e6]
        found += [whole + edge for edge in (0.9999995, 0.99999949, 0.0000005, 0.0000015, 0.9995)]
        found += [whole + 0.999, whole - 1e-7, whole + chance.randrange(1000) / 1e3 + 5e-7]
    return found


def test_the_timestamp_is_datetimes_text_to_the_millisecond():
    """`utc_milliseconds` keeps the date and time of the last second it wrote; its text must
    be `datetime`'s, rounding and carry included, whatever order the instants come in."""
    from datetime import UTC, datetime

    from courtside.log_fields import utc_milliseconds

    instants = _timestamps()
    for created in [*instants, *sorted(instants)]:
        expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert utc_milliseconds(created) == expected, repr(created)


def test_the_request_lines_timestamp_is_powertools_own():
    """Both formatters write `utc_milliseconds`: the Lambda line as Powertools' `formatTime`,
    the local line as before (`datetime.isoformat`)."""
    from datetime import UTC, datetime

    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import FIELDS

    formatter = LambdaFormatter(service="courtside")
    local = JsonFormatter()
    for created in _timestamps()[::50]:
        record = _record("courtside.request", "GET / %s", 200, **{FIELDS: {"status": 200}})
        record.created = created
        short = json.loads(formatter.format(record))["timestamp"]
        assert short == formatter.formatTime(record), repr(created)
        expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert json.loads(local.format(record))["timestamp"] == expected, repr(created)


def test_a_new_request_id_is_a_random_uuid4_in_hex():
    import uuid

    from courtside.observability import new_request_id

    seen = set()
    for _ in range(2000):
        text = new_request_id()
        assert re.fullmatch(r"[0-9a-f]{32}", text)
        parsed = uuid.UUID(hex=text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert parsed.hex == text
        seen.add(text)
    assert len(seen) == 2000
    # every other bit is random: each position takes both values over 2000 ids
    fixed = {48 + 14, 48 + 15, 76, 77, 78, 79}  # variant 10, version 0100 (bit numbers)
    bits = [int(text, 16) for text in seen]
    for bit in range(128):
        values = {value >> bit & 1 for value in bits}
        assert len(values) == (1 if bit in fixed else 2), bit


@pytest.mark.parametrize("source", [True, False], ids=["caller found", "no caller (Lambda)"])
def test_the_request_record_is_the_one_info_makes(monkeypatch, source):
    """`edge._log_request` makes the record itself (the caller found once): every attribute
    a handler sees is the one `Logger.info` gives, the line aside (it points into
    `_log_request`)."""
    import time

    from courtside import edge
    from courtside.observability import FIELDS

    if not source:
        monkeypatch.setattr(logging, "_srcfile", None)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign, assignment]
    logger = logging.getLogger("courtside.request")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)  # (and clears the logger's cache of enabled levels)
    scope = {"method": "GET", "path": "/v1/teams"}
    try:
        for _ in range(2):  # the first call finds the caller, the second reuses it
            edge._log_request(scope, 200, "request-1", time.perf_counter())

        def _log_request() -> None:  # the old way, from a function of the same name
            logger.info(
                "%s %s %s",
                "GET",
                "/v1/teams",
                200,
                extra={FIELDS: dict(records[0].__dict__[FIELDS])},
            )

        _log_request()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    ours, again, theirs = (dict(record.__dict__) for record in records)
    timing = ("created", "msecs", "relativeCreated", "lineno", "pathname", "filename", "module")
    for key in timing:
        ours.pop(key), again.pop(key), theirs.pop(key)
    again[FIELDS] = ours[FIELDS] = theirs[FIELDS] = {
        key: value for key, value in ours[FIELDS].items() if key != "latency_ms"
    }
    assert ours == theirs == again
    first = records[0]
    if source:
        assert (first.pathname, first.module, first.funcName) == (
            edge.__file__,
            "edge",
            "_log_request",
        )
        code = edge._log_request.__code__
        assert (
            code.co_firstlineno < first.lineno <= max(line for *_, line in code.co_lines() if line)
        )
        assert records[1].lineno == first.lineno
    else:
        assert (first.pathname, first.lineno, first.funcName) == (
            "(unknown file)",
            0,
            "(unknown function)",
        )
        assert (records[2].pathname, records[2].lineno) == ("(unknown file)", 0)
