#!/usr/bin/env python3
"""Post-deploy smoke test: does the site answer the way a user needs it to?

    python3 scripts/smoke.py https://api.staging.example.com

Checks, through the public URL (so through CloudFront, the WAF and the edge functions):

1. ``GET /health/ready`` is 200 JSON: the app reaches its database;
2. ``GET /v1/teams`` is 200 JSON with an ``items`` list: the public API and its cache work;
3. ``GET /login`` is 200 HTML with a form, and its stylesheet (a content-hashed ``/static/`` URL)
   is 200 and cacheable for a year;
4. ``GET /v1/<nonexistent>`` is 404 in the API's JSON error shape (not an HTML or CDN error page).

Each request is retried a few times on connection errors and 5xx (a cold start right after a
deploy). Exit status 0 when every check passes, 1 otherwise; the deploy workflow promotes a
commit to the next environment only then. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

USER_AGENT = "courtside-smoke/1"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str


class CheckFailed(AssertionError):
    """One check's expectation was not met."""


def fetch(url: str, *, timeout: float, attempts: int, pause: float) -> Reply:
    """GET `url`; retried on connection errors and 5xx, never on 4xx."""
    last: Exception | Reply | None = None
    for attempt in range(attempts):
        if attempt:
            time.sleep(pause)
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return Reply(response.status, _lower(response.headers), response.read())
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, _lower(error.headers), error.read())
            if error.code < 500:
                return reply
            last = reply
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            last = error
    if isinstance(last, Reply):
        return last
    raise CheckFailed(f"{url}: no answer after {attempts} attempts ({last})")


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _json_reply(reply: Reply, status: int) -> Any:
    _expect(reply.status == status, f"status {reply.status}, expected {status}")
    content_type = reply.headers.get("content-type", "")
    _expect(content_type.startswith("application/json"), f"content-type {content_type!r}")
    return reply.json()


def checks(base_url: str, get: Callable[[str], Reply]) -> list[tuple[str, Callable[[], str]]]:
    """The checks as (name, callable returning a detail or raising `CheckFailed`)."""
    base = base_url.rstrip("/") + "/"

    def ready() -> str:
        _json_reply(get(urljoin(base, "health/ready")), 200)
        return "ready"

    def teams() -> str:
        body = _json_reply(get(urljoin(base, "v1/teams")), 200)
        _expect(isinstance(body.get("items"), list), "no items list")
        return f"{len(body['items'])} teams"

    def login_page() -> str:
        reply = get(urljoin(base, "login"))
        _expect(reply.status == 200, f"status {reply.status}")
        _expect("text/html" in reply.headers.get("content-type", ""), "not HTML")
        _expect("<form" in reply.text, "no form")
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', reply.text)
        _expect(stylesheet is not None, "no stylesheet link")
        assert stylesheet is not None
        css = get(urljoin(base, stylesheet.group(1).lstrip("/")))
        _expect(css.status == 200, f"{stylesheet.group(1)}: status {css.status}")
        cache_control = css.headers.get("cache-control", "")
        _expect("immutable" in cache_control, f"{stylesheet.group(1)}: {cache_control!r}")
        return f"form and {stylesheet.group(1)}"

    def not_found() -> str:
        body = _json_reply(get(urljoin(base, f"v1/smoke-{uuid.uuid4().hex[:8]}")), 404)
        _expect(set(body.get("error", {})) >= {"code", "message"}, f"not our error shape: {body}")
        return str(body["error"]["code"])

    return [
        ("GET /health/ready", ready),
        ("GET /v1/teams", teams),
        ("GET /login", login_page),
        ("GET /v1/<missing> is a JSON 404", not_found),
    ]


def run(
    base_url: str, *, timeout: float = 10.0, attempts: int = 4, pause: float = 3.0
) -> list[Result]:
    """Run every check against `base_url` and return the results (none is skipped)."""
    if urlsplit(base_url).scheme not in ("http", "https"):
        raise ValueError(f"expected an http(s) base URL, got {base_url!r}")

    def get(url: str) -> Reply:
        return fetch(url, timeout=timeout, attempts=attempts, pause=pause)

    results = []
    for name, check in checks(base_url, get):
        try:
            results.append(Result(name, True, check()))
        except (CheckFailed, ValueError) as failure:
            results.append(Result(name, False, str(failure)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the site's public URL, e.g. https://api.example.com")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--attempts", type=int, default=4, help="tries per request (5xx, errors)")
    args = parser.parse_args(argv)
    results = run(args.base_url, timeout=args.timeout, attempts=args.attempts)
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.name}: {result.detail}")
    failed = [r for r in results if not r.ok]
    print(f"smoke test of {args.base_url}: {len(results) - len(failed)}/{len(results)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
